using EdgeSync.Deploy.Tests.Support;

namespace EdgeSync.Deploy.Tests.Rendering;

/// <summary>A broken inventory: exit code 2, nothing written, and exactly one line naming the entry and the field.</summary>
public sealed class InventoryErrorTests
{
    private const string Header = """
        image: registry.example.com/edgesync/agent:1.0.0
        hub:
          id: hq
          region: eu-central
          node_count: 3
          storage_class: hq-ssd
        factories:

        """;

    private const string Good = """
          - id: factory-001
            region: asia-pacific
            node_count: 5
            storage_class: edge-ssd
            hub: https://hq.example.com:5000
            tables:
              - {name: readings, policy: append, direction: up}

        """;

    public static TheoryData<string, string, string> Cases => new()
    {
        {
            "missing field",
            Good + """
              - id: factory-002
                node_count: 5
                storage_class: edge-ssd
                hub: https://hq.example.com:5000
                tables: [{name: readings, policy: append, direction: up}]
            """,
            "edgesync: fleet.yaml:15: factories[1] (id 'factory-002'): field 'region' is missing"
        },
        {
            "duplicate id",
            Good + Good,
            "edgesync: fleet.yaml:15: factories[1] (id 'factory-001'): field 'id': duplicate id 'factory-001' (also factories[0]); ids must be unique, they make up site ids"
        },
        {
            "unknown policy",
            Good.Replace("policy: append", "policy: merge", StringComparison.Ordinal),
            "edgesync: fleet.yaml:14: factories[0] (id 'factory-001'): tables[0] (name 'readings'): field 'policy': unknown policy 'merge'; use append or lww"
        },
        {
            "unknown direction",
            Good.Replace("direction: up", "direction: sideways", StringComparison.Ordinal),
            "edgesync: fleet.yaml:14: factories[0] (id 'factory-001'): tables[0] (name 'readings'): field 'direction': unknown direction 'sideways'; use both, up or down"
        },
        {
            "misspelt field",
            Good.Replace("region:", "regoin:", StringComparison.Ordinal),
            "edgesync: fleet.yaml:9: factories[0] (id 'factory-001'): unknown field 'regoin' (known: id, region, node_count, storage_class, replicas, storage, image, hub, hub_cidr, edge_app_image, tables)"
        },
        {
            "node count not a number",
            Good.Replace("node_count: 5", "node_count: five", StringComparison.Ordinal),
            "edgesync: fleet.yaml:10: factories[0] (id 'factory-001'): field 'node_count' must be a whole number from 1 to 10000, not 'five'"
        },
        {
            "entry without id",
            Good.Replace("  - id: factory-001\n    region", "  - region", StringComparison.Ordinal),
            "edgesync: fleet.yaml:8: factories[0]: field 'id' is missing"
        },
        {
            "hub address not a url",
            Good.Replace("hub: https://hq.example.com:5000", "hub: hq.example.com", StringComparison.Ordinal),
            "edgesync: fleet.yaml:12: factories[0] (id 'factory-001'): field 'hub': 'hq.example.com' is not an absolute https:// URL (the hub's sync endpoint, e.g. https://edgesync-hub.hq.example.com:5000; agents use mutual TLS)"
        },
        {
            "cleartext hub",
            Good.Replace("hub: https://hq.example.com:5000", "hub: http://hq.example.com:5000", StringComparison.Ordinal),
            "edgesync: fleet.yaml:12: factories[0] (id 'factory-001'): field 'hub': 'http://hq.example.com:5000' is not an absolute https:// URL (the hub's sync endpoint, e.g. https://edgesync-hub.hq.example.com:5000; agents use mutual TLS)"
        },
        {
            "one table two policies",
            Good + Good.Replace("factory-001", "factory-002", StringComparison.Ordinal).Replace("policy: append", "policy: lww", StringComparison.Ordinal),
            "edgesync: fleet.yaml: factories[1] (id 'factory-002'): tables: table 'readings' has policy lww here but append in 'factory-001'; a table has one policy in the whole fleet"
        },
    };

    [Fact]
    public void Render_UnknownCertificatesMode_NamesTheChoices()
    {
        using var tmp = new TempDir();
        string inventory = tmp.File("fleet.yaml");
        File.WriteAllText(inventory, "certificates: vault\n" + Header + Good);

        var result = EdgeSyncCli.Run("k8s", "render", "--inventory", inventory, "--out", tmp.File("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("edgesync: fleet.yaml:1: field 'certificates': 'vault' is not 'cert-manager' (an Issuer and a Certificate per cluster) "
            + "or 'secret' (you create the Secret edgesync-tls)\n", result.Error);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_BrokenInventory_FailsWithOneLineNamingEntryAndField(string what, string factories, string expected)
    {
        using var tmp = new TempDir();
        string inventory = tmp.File("fleet.yaml");
        File.WriteAllText(inventory, Header + factories);
        string outDir = tmp.File("out");

        var result = EdgeSyncCli.Run("k8s", "render", "--inventory", inventory, "--out", outDir);

        Assert.True(result.ExitCode == 2, $"{what}: exit {result.ExitCode}, stderr {result.Error}");
        Assert.Equal(expected + "\n", result.Error);
        Assert.Equal("", result.Out);
        Assert.False(Directory.Exists(outDir), $"{what}: nothing may be written");
    }

    [Fact]
    public void Render_InventoryNotYaml_SaysWhereTheSyntaxBreaks()
    {
        using var tmp = new TempDir();
        string inventory = tmp.File("fleet.yaml");
        File.WriteAllText(inventory, "hub:\n  id: hq\n region: eu\nfactories: []\n");

        var result = EdgeSyncCli.Run("k8s", "render", "--inventory", inventory, "--out", tmp.File("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("edgesync: fleet.yaml:3: not valid YAML", result.Error, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Render_MissingInventory_IsAnIoError()
    {
        using var tmp = new TempDir();
        var result = EdgeSyncCli.Run("k8s", "render", "--inventory", tmp.File("nope.yaml"), "--out", tmp.File("out"));

        Assert.Equal(4, result.ExitCode);
        Assert.Equal($"edgesync: inventory '{tmp.File("nope.yaml")}' does not exist\n", result.Error);
    }
}
