using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using EdgeSync.Agent;
using EdgeSync.Cli.Internal;
using EdgeSync.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Cli.K8s;

/// <summary>
/// Reads and validates an inventory. The first problem found is one <see cref="CliException"/> (usage error) whose
/// message names the file, line, entry and field: <c>fleet.yaml:42: factories[3] (id 'factory-004'): field 'region' is missing</c>.
/// YAML anchors, aliases and merge keys (<c>&lt;&lt;: *defaults</c>) are allowed; top-level keys starting with <c>x-</c> are ignored.
/// </summary>
internal static partial class InventoryReader
{
    private static readonly string[] TopKeys = ["image", "namespace", "bases", "certificates", "hub", "factories"];
    private static readonly string[] BaseKeys = ["factory", "hub", "edge_app", "cert_manager"];
    private static readonly string[] ClusterKeys = ["id", "region", "node_count", "storage_class", "replicas", "storage", "image"];
    private static readonly string[] FactoryKeys = [.. ClusterKeys, "hub", "hub_cidr", "edge_app_image", "tables"];
    private static readonly string[] TableKeys = ["name", "policy", "direction"];

    /// <summary>The id of the hub's overlay folder; no factory may use it.</summary>
    public const string HubFolder = "hq";

    public static FleetInventory Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.IoError, $"inventory '{path}' does not exist");
        }

        string file = System.IO.Path.GetFileName(path);
        var root = Load(path, file);
        var top = new Context(file, "", root);
        var map = top.Mapping(root);
        top.CheckKeys(map, TopKeys, allowExtensions: true);

        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var image = top.Image(map, "image", required: true)!;
        string ns = Context.Optional(map, "namespace") is { } nsNode ? top.Label(nsNode, "namespace") : "edgesync";
        string factoryBase = System.IO.Path.Combine(folder, "..", "base");
        string hubBase = System.IO.Path.Combine(folder, "..", "hq");
        string edgeAppBase = System.IO.Path.Combine(folder, "..", "components", "edge-app");
        string certManagerBase = System.IO.Path.Combine(folder, "..", "components", "cert-manager");
        if (Context.Optional(map, "bases") is { } basesNode)
        {
            var bases = top.Mapping(basesNode);
            top.CheckKeys(bases, BaseKeys);
            factoryBase = BaseOrDefault(top, bases, "factory", folder, factoryBase);
            hubBase = BaseOrDefault(top, bases, "hub", folder, hubBase);
            edgeAppBase = BaseOrDefault(top, bases, "edge_app", folder, edgeAppBase);
            certManagerBase = BaseOrDefault(top, bases, "cert_manager", folder, certManagerBase);
        }

        bool certManager = true;
        if (Context.Optional(map, "certificates") is { } certificatesNode)
        {
            certManager = top.Text(certificatesNode, "certificates") switch
            {
                "cert-manager" => true,
                "secret" => false,
                var other => throw top.Error(certificatesNode,
                    $"field 'certificates': '{other}' is not 'cert-manager' (an Issuer and a Certificate per cluster) or 'secret' (you create the Secret edgesync-tls)"),
            };
        }

        var factoriesNode = top.Required(map, "factories");
        if (factoriesNode is not YamlSequenceNode factoriesSeq || factoriesSeq.Children.Count == 0)
        {
            throw top.Error(factoriesNode, "field 'factories' must be a non-empty list of factories");
        }

        var factories = new List<FactorySpec>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < factoriesSeq.Children.Count; i++)
        {
            var node = factoriesSeq.Children[i];
            var entryMap = new Context(file, $"factories[{i}]", node).Mapping(node);
            string? id = entryMap.Children.TryGetValue(new YamlScalarNode("id"), out var idNode) && idNode is YamlScalarNode s ? s.Value : null;
            var entry = new Context(file, id is null ? $"factories[{i}]" : $"factories[{i}] (id '{id}')", node);
            var factory = ReadFactory(entry, entryMap);
            if (factory.Id == HubFolder)
            {
                throw entry.Error(idNode!, $"field 'id': '{HubFolder}' is the hub's overlay folder; give the factory another id");
            }

            if (seen.TryGetValue(factory.Id, out int first))
            {
                throw entry.Error(idNode!, $"field 'id': duplicate id '{factory.Id}' (also factories[{first}]); ids must be unique, they make up site ids");
            }

            seen.Add(factory.Id, i);
            factories.Add(factory);
        }

        var hubNode = top.Required(map, "hub");
        var hubContext = new Context(file, "hub", hubNode);
        var hubMap = hubContext.Mapping(hubNode);
        hubContext.CheckKeys(hubMap, ClusterKeys);
        var hubCluster = ReadCluster(hubContext, hubMap);
        if (seen.TryGetValue(hubCluster.Id, out int clash))
        {
            throw hubContext.Error(hubContext.Required(hubMap, "id"), $"field 'id': '{hubCluster.Id}' is also the id of factories[{clash}]; cluster ids must be unique");
        }

        var hub = new HubSpec
        {
            Id = hubCluster.Id,
            Region = hubCluster.Region,
            NodeCount = hubCluster.NodeCount,
            StorageClass = hubCluster.StorageClass,
            Replicas = hubCluster.Replicas,
            Storage = hubCluster.Storage,
            Image = hubCluster.Image,
            Tables = HubTables(file, factories),
        };

        return new FleetInventory
        {
            Path = path,
            Image = image,
            Namespace = ns,
            FactoryBase = factoryBase,
            HubBase = hubBase,
            EdgeAppComponent = edgeAppBase,
            CertManagerComponent = certManager ? certManagerBase : null,
            Hub = hub,
            Factories = factories,
        };
    }

    private static YamlNode Load(string path, string file)
    {
        try
        {
            using var reader = new StreamReader(path);
            var stream = new YamlStream();
            stream.Load(reader);
            if (stream.Documents.Count != 1)
            {
                throw new CliException(ExitCodes.UsageError, $"{file}: expected one YAML document, found {stream.Documents.Count}");
            }

            return stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            string reason = e.InnerException?.Message ?? e.Message;
            throw new CliException(ExitCodes.UsageError, $"{file}:{e.Start.Line}: not valid YAML: {OneLine(reason)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (without a position) on some unterminated flow collections.
            throw new CliException(ExitCodes.UsageError, $"{file}: not valid YAML: the parser stopped; check for an unclosed '[' or '{{' or quote");
        }
    }

    private static string BaseOrDefault(Context context, YamlMappingNode bases, string key, string folder, string fallback)
    {
        if (Context.Optional(bases, key) is not { } node)
        {
            return fallback;
        }

        string value = context.Text(node, $"bases.{key}");
        // Remote kustomize references (github.com/org/repo//deploy/base?ref=v1) are used as given.
        return value.Contains("://", StringComparison.Ordinal) || value.StartsWith("github.com/", StringComparison.Ordinal)
            ? value
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, value));
    }

    private static FactorySpec ReadFactory(Context entry, YamlMappingNode map)
    {
        entry.CheckKeys(map, FactoryKeys);
        var cluster = ReadCluster(entry, map);
        var hubNode = entry.Required(map, "hub");
        string hub = entry.Text(hubNode, "hub");
        if (!Uri.TryCreate(hub, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            // The agents speak mutual TLS only (deploy/base), so a cleartext hub URL would never connect.
            throw entry.Error(hubNode, $"field 'hub': '{hub}' is not an absolute https:// URL (the hub's sync endpoint, e.g. https://edgesync-hub.hq.example.com:5000; agents use mutual TLS)");
        }

        string? cidr = null;
        if (Context.Optional(map, "hub_cidr") is { } cidrNode)
        {
            cidr = entry.Text(cidrNode, "hub_cidr");
            if (!IPNetwork.TryParse(cidr, out _))
            {
                throw entry.Error(cidrNode, $"field 'hub_cidr': '{cidr}' is not a CIDR such as 203.0.113.0/24");
            }
        }

        var tablesNode = entry.Required(map, "tables");
        if (tablesNode is not YamlSequenceNode tablesSeq || tablesSeq.Children.Count == 0)
        {
            throw entry.Error(tablesNode, "field 'tables' must be a non-empty list of {name, policy, direction}");
        }

        var tables = new List<FleetTable>();
        for (int t = 0; t < tablesSeq.Children.Count; t++)
        {
            var tableNode = tablesSeq.Children[t];
            var tableContext = entry.Child($"tables[{t}]", tableNode);
            var tableMap = tableContext.Mapping(tableNode);
            tableContext.CheckKeys(tableMap, TableKeys);
            var nameNode = tableContext.Required(tableMap, "name");
            string name = tableContext.Text(nameNode, "name");
            tableContext = entry.Child($"tables[{t}] (name '{name}')", tableNode);
            if (!TableName().IsMatch(name) || name.StartsWith("_edgesync", StringComparison.OrdinalIgnoreCase))
            {
                throw tableContext.Error(nameNode, $"field 'name': '{name}' is not a table name sync can configure (letters, digits and _, not starting with a digit or _edgesync)");
            }

            if (tables.Any(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw tableContext.Error(nameNode, $"field 'name': table '{name}' is listed twice");
            }

            var policyNode = tableContext.Required(tableMap, "policy");
            string policyText = tableContext.Text(policyNode, "policy");
            TablePolicy policy = policyText switch
            {
                "append" => TablePolicy.Append,
                "lww" => TablePolicy.Lww,
                _ => throw tableContext.Error(policyNode, $"field 'policy': unknown policy '{policyText}'; use append or lww"),
            };
            var directionNode = tableContext.Required(tableMap, "direction");
            string directionText = tableContext.Text(directionNode, "direction");
            SyncDirection direction = directionText switch
            {
                "both" => SyncDirection.Both,
                "up" => SyncDirection.Up,
                "down" => SyncDirection.Down,
                _ => throw tableContext.Error(directionNode, $"field 'direction': unknown direction '{directionText}'; use both, up or down"),
            };
            tables.Add(new FleetTable(name, policy, direction));
        }

        return new FactorySpec
        {
            Id = cluster.Id,
            Region = cluster.Region,
            NodeCount = cluster.NodeCount,
            StorageClass = cluster.StorageClass,
            Replicas = cluster.Replicas,
            Storage = cluster.Storage,
            Image = cluster.Image,
            HubAddress = hub,
            HubCidr = cidr,
            EdgeAppImage = entry.Image(map, "edge_app_image", required: false),
            Tables = [.. tables.OrderBy(x => x.Name, StringComparer.Ordinal)],
        };
    }

    private static HubSpec ReadCluster(Context entry, YamlMappingNode map)
    {
        string id = entry.Label(entry.Required(map, "id"), "id");
        string region = entry.Text(entry.Required(map, "region"), "region");
        int nodeCount = entry.Integer(entry.Required(map, "node_count"), "node_count", 1, 10_000);
        string storageClass = entry.Text(entry.Required(map, "storage_class"), "storage_class");
        if (!Subdomain().IsMatch(storageClass))
        {
            throw entry.Error(map.Children[new YamlScalarNode("storage_class")], $"field 'storage_class': '{storageClass}' is not a storage class name (lowercase letters, digits, '-' and '.')");
        }

        int replicas = Context.Optional(map, "replicas") is { } r ? entry.Integer(r, "replicas", 1, 99) : 3;
        string storage = "10Gi";
        if (Context.Optional(map, "storage") is { } storageNode)
        {
            storage = entry.Text(storageNode, "storage");
            if (!Quantity().IsMatch(storage))
            {
                throw entry.Error(storageNode, $"field 'storage': '{storage}' is not a Kubernetes quantity such as 10Gi");
            }
        }

        return new HubSpec
        {
            Id = id,
            Region = region,
            NodeCount = nodeCount,
            StorageClass = storageClass,
            Replicas = replicas,
            Storage = storage,
            Image = entry.Image(map, "image", required: false),
            Tables = [],
        };
    }

    /// <summary>
    /// The hub enables every table any factory syncs. One table has one policy fleet-wide (a mismatch is an error);
    /// its direction at the hub is the factories' common one, or <c>both</c> when they differ (each factory still
    /// enforces its own as sender and receiver).
    /// </summary>
    private static List<FleetTable> HubTables(string file, List<FactorySpec> factories)
    {
        var tables = new SortedDictionary<string, (FleetTable Table, string Factory)>(StringComparer.Ordinal);
        foreach (var factory in factories)
        {
            foreach (var table in factory.Tables)
            {
                if (!tables.TryGetValue(table.Name, out var known))
                {
                    tables[table.Name] = (table, factory.Id);
                }
                else if (known.Table.Policy != table.Policy)
                {
                    int index = factories.IndexOf(factory);
                    throw new CliException(ExitCodes.UsageError,
                        $"{file}: factories[{index}] (id '{factory.Id}'): tables: table '{table.Name}' has policy {table.Policy.ToName()} here "
                        + $"but {known.Table.Policy.ToName()} in '{known.Factory}'; a table has one policy in the whole fleet");
                }
                else if (known.Table.Direction != table.Direction)
                {
                    tables[table.Name] = (known.Table with { Direction = SyncDirection.Both }, known.Factory);
                }
            }
        }

        return [.. tables.Values.Select(v => v.Table)];
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex TableName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    internal static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")]
    private static partial Regex Quantity();
}
