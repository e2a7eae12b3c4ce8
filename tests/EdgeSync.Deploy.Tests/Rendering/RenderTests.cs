using EdgeSync.Deploy.Tests.Support;

namespace EdgeSync.Deploy.Tests.Rendering;

public sealed class RenderTests
{
    [Fact]
    public void Render_ExampleInventory_WritesOneOverlayPerFactoryPlusTheHub()
    {
        using var tmp = new TempDir();
        var result = EdgeSyncCli.Run("k8s", "render", "--inventory", Repo.FleetExample, "--out", tmp.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.StartsWith("rendered 50 factories and the hub", result.Out, StringComparison.Ordinal);
        var folders = Directory.GetDirectories(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(51, folders.Count);
        Assert.Equal("factory-001", folders[0]);
        Assert.Contains("hq", folders);
        Assert.All(folders, f => Assert.True(File.Exists(Path.Combine(tmp.Path, f!, "kustomization.yaml")), f));
    }

    [Fact]
    public void Render_SameInventoryTwice_GivesIdenticalBytes()
    {
        using var tmp = new TempDir();
        string a = Path.Combine(tmp.Path, "a");
        string b = Path.Combine(tmp.Path, "b");
        EdgeSyncCli.Render(Repo.FleetExample, a);
        EdgeSyncCli.Render(Repo.FleetExample, b);
        EdgeSyncCli.Render(Repo.FleetExample, b);   // over an earlier render: same result

        var filesA = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order(StringComparer.Ordinal).ToList();
        var filesB = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(filesA, filesB);
        Assert.True(filesA.Count > 150);
        foreach (var file in filesA)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(a, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(b, file))), $"{file} differs between renders");
        }
    }

    [Fact]
    public void Render_OutputHasNoTimestampsNoAbsolutePathsAndLfEndings()
    {
        using var tmp = new TempDir();
        EdgeSyncCli.Render(Repo.FleetExample, tmp.Path);
        foreach (var file in Directory.GetFiles(tmp.Path, "*", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\n  - /", text, StringComparison.Ordinal);   // resources and components are relative paths
            Assert.DoesNotContain(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_FactoryRemovedFromInventory_ItsOldOverlayIsRemovedAndOtherFilesKept()
    {
        using var tmp = new TempDir();
        string outDir = tmp.File("out");
        EdgeSyncCli.Render(Repo.FleetExample, outDir);
        File.WriteAllText(Path.Combine(outDir, "README.md"), "mine");
        string smaller = tmp.File("fleet.yaml");
        File.WriteAllText(smaller, File.ReadAllText(Repo.FleetExample).Replace("  factory: ../base", $"  factory: {Path.Combine(Repo.Deploy, "base")}", StringComparison.Ordinal)
            .Replace("  hub: ../hq", $"  hub: {Path.Combine(Repo.Deploy, "hq")}", StringComparison.Ordinal)
            .Replace("  edge_app: ../components/edge-app", $"  edge_app: {Path.Combine(Repo.Deploy, "components", "edge-app")}", StringComparison.Ordinal)
            .Replace("    id: factory-050\n", "    id: factory-150\n", StringComparison.Ordinal));

        EdgeSyncCli.Render(smaller, outDir);

        Assert.False(Directory.Exists(Path.Combine(outDir, "factory-050")));
        Assert.True(Directory.Exists(Path.Combine(outDir, "factory-150")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(outDir, "README.md")));
    }

    [Fact]
    public void Render_FactoryOverlay_CarriesTheInventoryValues()
    {
        using var tmp = new TempDir();
        EdgeSyncCli.Render(Repo.FleetExample, tmp.Path);
        string dir = Path.Combine(tmp.Path, "factory-007");

        var config = (k8s.Models.V1ConfigMap)ManifestLoader.LoadStrict(Path.Combine(dir, "edge-cluster-config.yaml")).Single();
        Assert.Equal("factory-007", config.Data["cluster_id"]);
        Assert.Equal("us-east", config.Data["region"]);
        Assert.Equal("edge-ssd", config.Data["storage_class"]);

        var set = (k8s.Models.V1StatefulSet)ManifestLoader.LoadStrict(Path.Combine(dir, "sqlite-edge.yaml")).Single();
        Assert.Equal(5, set.Spec.Replicas);
        Assert.Equal("50Gi", set.Spec.VolumeClaimTemplates.Single().Spec.Resources.Requests["storage"].ToString());
        var env = set.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("https://edgesync-hub.hq.example.com:5000", env["EDGESYNC_HUB"]);
        Assert.Equal("append", env["EdgeSync__Tables__readings__Policy"]);
        Assert.Equal("up", env["EdgeSync__Tables__readings__Direction"]);
        Assert.Equal("down", env["EdgeSync__Tables__settings__Direction"]);
    }

    [Fact]
    public void Render_EveryCluster_GetsACertificateNamingItsCluster_FromTheCertManagerComponent()
    {
        using var tmp = new TempDir();
        EdgeSyncCli.Render(Repo.FleetExample, tmp.Path);

        foreach (var dir in Directory.GetDirectories(tmp.Path))
        {
            string id = Path.GetFileName(dir);
            var kustomization = ManifestLoader.LoadYaml(Path.Combine(dir, "kustomization.yaml"));
            var components = kustomization.Items("components").Select(c => ((YamlDotNet.RepresentationModel.YamlScalarNode)c).Value!).ToList();
            Assert.Contains(components, c => Path.GetFullPath(Path.Combine(dir, c)) == Path.Combine(Repo.Deploy, "components", "cert-manager"));
            Assert.Contains(kustomization.Items("patches"), p => p.Text("path") == "edgesync-tls.yaml");
            var certificate = (CertManagerObject)ManifestLoader.LoadStrict(Path.Combine(dir, "edgesync-tls.yaml")).Single();
            Assert.Equal("Certificate", certificate.Kind);
            Assert.Equal($"spiffe://edgesync/cluster/{id}", Assert.Single(certificate.Spec.Items("uris").Select(u => u.ToString())));
            Assert.Equal(new EdgeSync.Agent.Security.CertificateIdentity(id, null), EdgeSync.Agent.Security.SiteCertificate.Parse(id));
        }
    }

    [Fact]
    public void Render_CertificatesFromASecret_LeavesCertManagerOut()
    {
        using var tmp = new TempDir();
        string inventory = tmp.File("fleet.yaml");
        File.WriteAllText(inventory, File.ReadAllText(Repo.FleetExample)
            .Replace("certificates: cert-manager", "certificates: secret", StringComparison.Ordinal)
            .Replace("  factory: ../base", $"  factory: {Path.Combine(Repo.Deploy, "base")}", StringComparison.Ordinal)
            .Replace("  hub: ../hq", $"  hub: {Path.Combine(Repo.Deploy, "hq")}", StringComparison.Ordinal)
            .Replace("  edge_app: ../components/edge-app", $"  edge_app: {Path.Combine(Repo.Deploy, "components", "edge-app")}", StringComparison.Ordinal));

        EdgeSyncCli.Render(inventory, tmp.File("out"));

        string factory = Path.Combine(tmp.File("out"), "factory-001");
        Assert.False(File.Exists(Path.Combine(factory, "edgesync-tls.yaml")));
        Assert.DoesNotContain("cert-manager", File.ReadAllText(Path.Combine(factory, "kustomization.yaml")), StringComparison.Ordinal);
    }
}
