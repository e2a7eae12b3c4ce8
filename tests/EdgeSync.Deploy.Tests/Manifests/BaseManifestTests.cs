using EdgeSync.Deploy.Tests.Support;
using k8s.Models;

namespace EdgeSync.Deploy.Tests.Manifests;

/// <summary>The hand-written manifests (factory base, HQ variant, edge-app component) load strictly and have what they must.</summary>
public sealed class BaseManifestTests
{
    private static readonly string Base = Path.Combine(Repo.Deploy, "base");

    private static List<object> LoadKustomization(string dir)
    {
        var kustomization = ManifestLoader.LoadYaml(Path.Combine(dir, "kustomization.yaml"));
        var objects = new List<object>();
        foreach (var resource in kustomization.Items("resources").Select(r => ((YamlDotNet.RepresentationModel.YamlScalarNode)r).Value!))
        {
            string path = Path.Combine(dir, resource);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{dir}: resource '{resource}' does not exist");
            if (File.Exists(path))
            {
                objects.AddRange(ManifestLoader.LoadStrict(path));
            }
        }

        foreach (var patch in kustomization.Items("patches").Select(p => p.Text("path")!))
        {
            Assert.True(File.Exists(Path.Combine(dir, patch)), $"{dir}: patch '{patch}' does not exist");
            Assert.NotEmpty(ManifestLoader.LoadStrict(Path.Combine(dir, patch)));
        }

        return objects;
    }

    [Theory]
    [InlineData("replica: 3", "unknown field")]
    [InlineData("replicas: three", "wrong type")]
    public void StrictLoader_RejectsWhatTheApiServerWould(string line, string what)
    {
        string yaml = $"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  {line}\n";
        var error = Record.Exception(() => k8s.KubernetesYaml.LoadAllFromString(yaml, strict: true));
        Assert.True(error is not null, $"a StatefulSet with a {what} ('{line}') must not load");
    }

    [Fact]
    public void FactoryBase_LoadsStrictly_WithTheCaseStudyShapes()
    {
        var objects = LoadKustomization(Base);

        var config = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "edge-cluster-config");
        Assert.Equal(["cluster_id", "node_count", "region", "storage_class"], config.Data.Keys.Order(StringComparer.Ordinal).ToArray());
        var set = objects.OfType<V1StatefulSet>().Single();
        Assert.Equal(3, set.Spec.Replicas);
        var headless = objects.OfType<V1Service>().Single(s => s.Spec.ClusterIP == "None");
        ManifestChecks.AgentStatefulSet(set, headless, "edge-ssd");
        Assert.Equal("10Gi", set.Spec.VolumeClaimTemplates.Single().Spec.Resources.Requests["storage"].ToString());

        var client = objects.OfType<V1Service>().Single(s => s.Metadata.Name == "sqlite-edge-client");
        Assert.All(client.Spec.Selector, kv => Assert.Equal(kv.Value, set.Spec.Template.Metadata.Labels[kv.Key]));

        var pdb = objects.OfType<V1PodDisruptionBudget>().Single();
        Assert.Equal("1", pdb.Spec.MaxUnavailable.Value);
        Assert.Equal(set.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels);

        var policy = objects.OfType<V1NetworkPolicy>().Single();
        Assert.Equal(set.Spec.Selector.MatchLabels, policy.Spec.PodSelector.MatchLabels);
        Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
        // Peers (same pods) and Prometheus, nobody else.
        Assert.Equal(2, policy.Spec.Ingress.Count);
        Assert.Equal(set.Spec.Selector.MatchLabels, policy.Spec.Ingress[0].FromProperty.Single().PodSelector.MatchLabels);
        Assert.Equal("prometheus", policy.Spec.Ingress[1].FromProperty.Single().PodSelector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Equal(["8080"], policy.Spec.Ingress[1].Ports.Select(p => p.Port.Value).ToArray());

        var schema = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "edgesync-schema");
        Assert.Contains("CREATE TABLE IF NOT EXISTS readings", schema.Data["schema.sql"], StringComparison.Ordinal);
    }

    [Fact]
    public void HubVariant_LoadsStrictly_AndRunsAsHub()
    {
        string hq = Path.Combine(Repo.Deploy, "hq");
        var objects = LoadKustomization(hq);
        Assert.Contains(objects.OfType<V1Service>(), s => s.Spec.Type == "LoadBalancer" && s.Spec.Ports.Single().Port == 5000);
        Assert.Equal("0.0.0.0/0", objects.OfType<V1NetworkPolicy>().Single().Spec.Ingress.Single().FromProperty.Single().IpBlock.Cidr);
        var patch = (V1StatefulSet)ManifestLoader.LoadStrict(Path.Combine(hq, "statefulset-hub.yaml")).Single();
        Assert.Equal("hub", patch.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "EDGESYNC_ROLE").Value);
    }

    [Fact]
    public void CertManagerComponent_IssuesTheSecretTheAgentMounts_ForServerAndClientAuth_FromTheFleetCa()
    {
        string dir = Path.Combine(Repo.Deploy, "components", "cert-manager");
        var kustomization = ManifestLoader.LoadYaml(Path.Combine(dir, "kustomization.yaml"));
        Assert.Equal("Component", kustomization.Text("kind"));
        var objects = kustomization.Items("resources").SelectMany(r => ManifestLoader.LoadStrict(Path.Combine(dir, r.ToString()))).Cast<CertManagerObject>().ToList();
        var issuer = objects.Single(o => o.Kind == "Issuer");
        var certificate = objects.Single(o => o.Kind == "Certificate");
        var set = LoadKustomization(Base).OfType<V1StatefulSet>().Single();

        Assert.Equal("edgesync-fleet-ca", issuer.Spec.Get("ca")!.Text("secretName"));
        Assert.Equal(issuer.Metadata.Name, certificate.Spec.Get("issuerRef")!.Text("name"));
        Assert.Equal("Issuer", certificate.Spec.Get("issuerRef")!.Text("kind"));
        Assert.Equal(set.Spec.Template.Spec.Volumes.Single(v => v.Name == "tls").Secret.SecretName, certificate.Spec.Text("secretName"));
        Assert.Equal(["digital signature", "server auth", "client auth"], certificate.Spec.Items("usages").Select(u => u.ToString()));
        Assert.Equal("ECDSA", certificate.Spec.Get("privateKey")!.Text("algorithm"));
        Assert.Equal("Always", certificate.Spec.Get("privateKey")!.Text("rotationPolicy"));
        Assert.Equal(["spiffe://edgesync/cluster/CLUSTER_ID"], certificate.Spec.Items("uris").Select(u => u.ToString()));
    }

    [Fact]
    public void StrictLoader_RejectsAMisspeltCertManagerField()
    {
        const string Yaml = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: x\nspec:\n  secretNmae: x\n";
        var error = Record.Exception(() => ManifestLoader.LoadStrictText(Yaml, "test"));
        Assert.NotNull(error);
        Assert.Contains("unknown field 'secretNmae'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EdgeAppComponent_SharesTheDataVolume()
    {
        string dir = Path.Combine(Repo.Deploy, "components", "edge-app");
        var kustomization = ManifestLoader.LoadYaml(Path.Combine(dir, "kustomization.yaml"));
        Assert.Equal("Component", kustomization.Text("kind"));
        var patch = (V1StatefulSet)ManifestLoader.LoadStrict(Path.Combine(dir, "edge-app.yaml")).Single();
        var app = patch.Spec.Template.Spec.Containers.Single();
        Assert.Equal("edge-app", app.Name);
        Assert.Contains(app.VolumeMounts, m => m.Name == "sqlite-data" && m.MountPath == "/data");
        Assert.True(app.SecurityContext.ReadOnlyRootFilesystem);

        // Ingest needs the bearer token: the app reads the agent's token file from the same Secret volume.
        var token = app.VolumeMounts.Single(m => m.Name == "ingest-token");
        Assert.True(token.ReadOnlyProperty);
        Assert.StartsWith(token.MountPath + "/", app.Env.Single(e => e.Name == "APP_INGEST_TOKEN_FILE").Value, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRenderedOverlay_ItsResourcesAndPatchesLoadStrictly_AndCarryTheInventory()
    {
        using var tmp = new TempDir();
        EdgeSyncCli.Render(Repo.FleetExample, tmp.Path);
        var inventory = ManifestLoader.LoadYaml(Repo.FleetExample);
        int checkedOverlays = 0;
        foreach (var dir in Directory.GetDirectories(tmp.Path))
        {
            var kustomization = ManifestLoader.LoadYaml(Path.Combine(dir, "kustomization.yaml"));
            Assert.Equal("Kustomization", kustomization.Text("kind"));
            Assert.Equal("edgesync", kustomization.Text("namespace"));
            var images = kustomization.Items("images").ToList();
            Assert.Contains(images, i => i.Text("name") == "edgesync" && i.Text("newName") == "registry.example.com/edgesync/agent" && i.Text("newTag") is not null);
            foreach (var reference in kustomization.Items("resources").Concat(kustomization.Items("components")).Select(r => ((YamlDotNet.RepresentationModel.YamlScalarNode)r).Value!))
            {
                string path = Path.GetFullPath(Path.Combine(dir, reference));
                Assert.True(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), $"{dir}: '{reference}' does not resolve");
            }

            var objects = LoadKustomization(dir);
            var set = (V1StatefulSet)ManifestLoader.LoadStrict(Path.Combine(dir, "sqlite-edge.yaml")).Single();
            var config = (V1ConfigMap)ManifestLoader.LoadStrict(Path.Combine(dir, "edge-cluster-config.yaml")).Single();
            string id = Path.GetFileName(dir);
            Assert.Equal(id == "hq" ? "hq" : id, config.Data["cluster_id"]);
            Assert.Equal(config.Data["storage_class"], set.Spec.VolumeClaimTemplates.Single().Spec.StorageClassName);
            Assert.Equal(config.Data["cluster_id"], set.Spec.Template.Metadata.Labels["edgesync.io/cluster"]);
            Assert.All(objects.OfType<V1NetworkPolicy>(), p => Assert.Equal("203.0.113.0/24", p.Spec.Ingress.Single().FromProperty.Single().IpBlock.Cidr));
            checkedOverlays++;
        }

        Assert.Equal(inventory.Items("factories").Count() + 1, checkedOverlays);
    }
}
