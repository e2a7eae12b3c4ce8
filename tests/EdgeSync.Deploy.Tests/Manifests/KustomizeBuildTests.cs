using EdgeSync.Deploy.Tests.Support;
using k8s;
using k8s.Models;

namespace EdgeSync.Deploy.Tests.Manifests;

/// <summary><c>kubectl kustomize</c> builds every rendered overlay; the full output loads strictly and is complete.</summary>
public sealed class KustomizeBuildTests
{
    /// <summary>
    /// kubectl with a built-in kustomize of v4 or later (components, <c>patches: - path:</c>); Debian's
    /// kubernetes-client package (kubectl 1.20, kustomize v2) is too old, so this skips there rather than fail.
    /// </summary>
    private static string RequireKubectl()
    {
        string kubectl = Tools.Require("kubectl", "kubectl (1.21 or later; Debian's kubernetes-client is too old)");
        var version = Tools.Run(kubectl, ["version", "--client"]);
        var match = System.Text.RegularExpressions.Regex.Match(version.Out, @"Kustomize Version: v(\d+)\.");
        if (!match.Success || int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 4)
        {
            Assert.Skip($"kubectl's built-in kustomize is too old or unknown ('{version.Out.Trim()}'); kubectl 1.21 or later is needed for this check");
        }

        return kubectl;
    }

    private static List<object> Build(string kubectl, string dir)
    {
        var output = Tools.Run(kubectl, ["kustomize", dir]);
        Assert.True(output.ExitCode == 0, $"kubectl kustomize {dir} failed: {output.Error}");
        return [.. ManifestLoader.LoadStrictText(output.Out, $"kubectl kustomize {dir}")];
    }

    [Fact]
    public void KubectlKustomize_EveryFactoryAndTheHub_BuildsCompleteStrictManifests()
    {
        string kubectl = RequireKubectl();
        using var tmp = new TempDir();
        EdgeSyncCli.Render(Repo.FleetExample, tmp.Path);

        foreach (var dir in Directory.GetDirectories(tmp.Path).Order(StringComparer.Ordinal))
        {
            string id = Path.GetFileName(dir);
            var objects = Build(kubectl, dir);
            Assert.All(objects.Cast<IKubernetesObject<V1ObjectMeta>>(), o => Assert.Equal("edgesync", o.Metadata.NamespaceProperty));
            var config = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "edge-cluster-config");
            Assert.Equal(id, config.Data["cluster_id"]);
            var set = objects.OfType<V1StatefulSet>().Single();
            var headless = objects.OfType<V1Service>().Single(s => s.Spec.ClusterIP == "None");
            string image = id == "factory-002" ? "registry.example.com/edgesync/agent:1.1.0" : "registry.example.com/edgesync/agent:1.0.0";
            ManifestChecks.AgentStatefulSet(set, headless, config.Data["storage_class"], image);
            Assert.Equal("1", objects.OfType<V1PodDisruptionBudget>().Single().Spec.MaxUnavailable.Value);

            var env = set.Spec.Template.Spec.Containers.Single(c => c.Name == "edgesync").Env.ToDictionary(e => e.Name, e => e.Value);
            if (id == "hq")
            {
                Assert.Equal("hub", env["EDGESYNC_ROLE"]);
                Assert.False(env.ContainsKey("EDGESYNC_HUB"));
            }
            else
            {
                Assert.Equal("https://edgesync-hub.hq.example.com:5000", env["EDGESYNC_HUB"]);
                Assert.Equal("append", env["EdgeSync__Tables__readings__Policy"]);
            }

            var certificate = objects.OfType<CertManagerObject>().Single(o => o.Kind == "Certificate");
            Assert.Equal("edgesync", certificate.Metadata.NamespaceProperty);
            Assert.Equal([$"spiffe://edgesync/cluster/{id}"], certificate.Spec.Items("uris").Select(u => u.ToString()));
            Assert.Contains("*.sqlite-edge.edgesync.svc.cluster.local", certificate.Spec.Items("dnsNames").Select(u => u.ToString()));
            Assert.Equal("edgesync-tls", certificate.Spec.Text("secretName"));
            Assert.Equal(certificate.Spec.Get("issuerRef")!.Text("name"), objects.OfType<CertManagerObject>().Single(o => o.Kind == "Issuer").Metadata.Name);

            bool sidecar = id is "factory-003" or "factory-004" or "factory-005";
            Assert.Equal(sidecar, set.Spec.Template.Spec.Containers.Any(c => c.Name == "edge-app" && c.Image == "registry.example.com/plant-app:2.4.1"));
        }
    }

    [Theory]
    [InlineData("base")]
    [InlineData("hq")]
    [InlineData("monitoring")]
    public void KubectlKustomize_HandWrittenKustomizations_Build(string folder)
    {
        string kubectl = RequireKubectl();
        var output = Tools.Run(kubectl, ["kustomize", Path.Combine(Repo.Deploy, folder)]);
        Assert.True(output.ExitCode == 0, output.Error);
        if (folder != "monitoring")
        {
            Assert.NotEmpty(ManifestLoader.LoadStrictText(output.Out, folder));
        }
    }
}
