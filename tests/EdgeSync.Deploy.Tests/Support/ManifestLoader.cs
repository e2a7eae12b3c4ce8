using k8s;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Loads Kubernetes manifests the way the API server would judge them: strictly (unknown fields and wrong types fail).</summary>
public static class ManifestLoader
{
    /// <summary>Every object in the file, strictly typed; the failure names the file.</summary>
    public static IReadOnlyList<object> LoadStrict(string path) => LoadStrictText(File.ReadAllText(path), path);

    public static IReadOnlyList<object> LoadStrictText(string yaml, string what)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(yaml, strict: true);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            Assert.Fail($"{what} does not load strictly: {e.Message} {e.InnerException?.Message}");
            throw;
        }
    }

    /// <summary>A non-Kubernetes YAML file (kustomization, rule file) as a node tree.</summary>
    public static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static YamlNode? Get(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Text(this YamlNode node, string key) => (node.Get(key) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode node, string key) =>
        node.Get(key) is YamlSequenceNode seq ? seq.Children : [];
}
