using k8s;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>Loads Kubernetes manifests the way the API server would judge them: strictly (unknown fields and wrong types fail).</summary>
public static class ManifestLoader
{
    /// <summary>Every object in the file, strictly typed; the failure names the file.</summary>
    public static IReadOnlyList<object> LoadStrict(string path) => LoadStrictText(File.ReadAllText(path), path);

    /// <summary>
    /// Every object in the text, strictly: Kubernetes kinds through KubernetesClient's models, cert-manager kinds through
    /// <see cref="CertManagerObject"/> (KubernetesClient has no model for them).
    /// </summary>
    public static IReadOnlyList<object> LoadStrictText(string yaml, string what)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (!stream.Documents.Any(d => d.RootNode is YamlMappingNode m && CertManagerObject.IsCertManager(m)))
        {
            return LoadKubernetes(yaml, what);
        }

        var objects = new List<object>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode map && CertManagerObject.IsCertManager(map))
            {
                objects.Add(CertManagerObject.Load(map, what));
                continue;
            }

            var single = new YamlStream(document);
            using var writer = new StringWriter();
            single.Save(writer, assignAnchors: false);
            objects.AddRange(LoadKubernetes(writer.ToString(), what));
        }

        return objects;
    }

    private static List<object> LoadKubernetes(string yaml, string what)
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
