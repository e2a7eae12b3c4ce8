using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>
/// A cert-manager object (<c>Issuer</c>, <c>Certificate</c>), which KubernetesClient has no model for: checked field by
/// field against the cert-manager v1 schema's keys (an unknown or misspelt key fails, as the API server's structural
/// schema would prune or reject it) and kept as YAML for assertions.
/// </summary>
public sealed class CertManagerObject : IKubernetesObject<V1ObjectMeta>
{
    private static readonly Dictionary<string, string[]> SpecKeys = new(StringComparer.Ordinal)
    {
        ["Certificate"] =
        [
            "secretName", "secretTemplate", "duration", "renewBefore", "renewBeforePercentage", "commonName", "subject", "literalSubject", "uris",
            "dnsNames", "ipAddresses", "emailAddresses", "otherNames", "privateKey", "usages", "issuerRef", "isCA", "keystores",
            "revisionHistoryLimit", "additionalOutputFormats", "nameConstraints", "encodeUsagesInRequest",
        ],
        ["Issuer"] = ["ca", "selfSigned", "vault", "acme", "venafi"],
        ["ClusterIssuer"] = ["ca", "selfSigned", "vault", "acme", "venafi"],
    };

    private static readonly string[] PrivateKeyKeys = ["algorithm", "size", "rotationPolicy", "encoding"];
    private static readonly string[] IssuerRefKeys = ["name", "kind", "group"];
    private static readonly string[] Usages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment", "cert sign",
        "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
        "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
    ];

    private CertManagerObject(string apiVersion, string kind, V1ObjectMeta metadata, YamlMappingNode spec)
    {
        ApiVersion = apiVersion;
        Kind = kind;
        Metadata = metadata;
        Spec = spec;
    }

    public string ApiVersion { get; set; }

    public string Kind { get; set; }

    public V1ObjectMeta Metadata { get; set; }

    public YamlMappingNode Spec { get; }

    public static bool IsCertManager(YamlMappingNode document) =>
        document.Text("apiVersion")?.StartsWith("cert-manager.io/", StringComparison.Ordinal) == true;

    /// <summary>Checks a cert-manager document; a failure names <paramref name="what"/> and the offending key.</summary>
    public static CertManagerObject Load(YamlMappingNode document, string what)
    {
        string apiVersion = document.Text("apiVersion")!;
        Assert.True(apiVersion == "cert-manager.io/v1", $"{what}: cert-manager apiVersion '{apiVersion}' is not cert-manager.io/v1");
        string kind = document.Text("kind") ?? "";
        Assert.True(SpecKeys.TryGetValue(kind, out var specKeys), $"{what}: unknown cert-manager kind '{kind}'");
        Only(document, ["apiVersion", "kind", "metadata", "spec"], what);
        var metadataNode = Assert.IsType<YamlMappingNode>(document.Get("metadata"));
        Only(metadataNode, ["name", "namespace", "labels", "annotations"], $"{what} metadata");
        var spec = Assert.IsType<YamlMappingNode>(document.Get("spec"));
        Only(spec, specKeys!, $"{what} {kind}.spec");
        if (kind == "Certificate")
        {
            if (spec.Get("privateKey") is { } privateKey)
            {
                Only(privateKey, PrivateKeyKeys, $"{what} privateKey");
            }

            if (spec.Get("issuerRef") is { } issuerRef)
            {
                Only(issuerRef, IssuerRefKeys, $"{what} issuerRef");
            }

            Assert.All(spec.Items("usages").Select(u => u.ToString()), u => Assert.Contains(u, Usages));
        }

        var metadata = new V1ObjectMeta
        {
            Name = metadataNode.Text("name"),
            NamespaceProperty = metadataNode.Text("namespace"),
            Labels = metadataNode.Get("labels") is YamlMappingNode labels
                ? labels.Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString())
                : null,
        };
        Assert.False(string.IsNullOrEmpty(metadata.Name), $"{what}: {kind} without metadata.name");
        return new CertManagerObject(apiVersion, kind, metadata, spec);
    }

    private static void Only(YamlNode node, string[] keys, string what)
    {
        var map = Assert.IsType<YamlMappingNode>(node);
        foreach (var key in map.Children.Keys.Select(k => k.ToString()))
        {
            Assert.True(keys.Contains(key, StringComparer.Ordinal), $"{what}: unknown field '{key}'");
        }
    }
}
