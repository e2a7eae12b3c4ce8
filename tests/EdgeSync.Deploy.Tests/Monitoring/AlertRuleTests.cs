using EdgeSync.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Deploy.Tests.Monitoring;

public sealed class AlertRuleTests
{
    private static readonly string[] RequiredAlerts =
    [
        "EdgeSyncReplicationLagHigh", "EdgeSyncPeerUnreachable", "EdgeSyncErrors", "EdgeSyncConflictRateSpike",
        "EdgeSyncBackupStale", "EdgeSyncBackupMissing", "EdgeSyncDiskAlmostFull", "EdgeSyncAgentDown",
        "EdgeSyncPeerRefused", "EdgeSyncBatchesUnauthorized", "EdgeSyncHubLineageReclaimed", "EdgeSyncSchemaDrift",
        "EdgeSyncDivergence", "EdgeSyncIngestRefusedLowSpace",
        "EdgeSyncExportStalled",
    ];

    [Fact]
    public void Promtool_CheckRules_Passes()
    {
        string promtool = Tools.Require("promtool", "prometheus");
        var output = Tools.Run(promtool, ["check", "rules", RuleFiles.Alerts]);
        Assert.True(output.ExitCode == 0, output.Out + output.Error);
        Assert.Contains($"SUCCESS: {RequiredAlerts.Length} rules found", output.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Promtool_TestRules_EveryAlertFiresAndStaysQuietAsSpecified()
    {
        string promtool = Tools.Require("promtool", "prometheus");
        var output = Tools.Run(promtool, ["test", "rules", RuleFiles.AlertTests], workingDirectory: Repo.Monitoring);
        Assert.True(output.ExitCode == 0, output.Out + output.Error);
    }

    [Fact]
    public void AlertFile_HasEveryRequiredAlert_EachWithAPromtoolTestThatFiresIt()
    {
        var alerts = RuleFiles.Rules(ManifestLoader.LoadYaml(RuleFiles.Alerts)).Select(r => r.Text("alert")).ToList();
        Assert.Equal(RequiredAlerts.Order(StringComparer.Ordinal), alerts.Order(StringComparer.Ordinal));

        var tests = ManifestLoader.LoadYaml(RuleFiles.AlertTests);
        var fired = tests.Items("tests").SelectMany(t => t.Items("alert_rule_test"))
            .Where(c => c.Items("exp_alerts").Any())
            .Select(c => c.Text("alertname"))
            .ToHashSet();
        var quiet = tests.Items("tests").SelectMany(t => t.Items("alert_rule_test"))
            .Where(c => !c.Items("exp_alerts").Any())
            .Select(c => c.Text("alertname"))
            .ToHashSet();
        Assert.All(RequiredAlerts, a => Assert.True(fired.Contains(a) && quiet.Contains(a), $"{a} needs a promtool case that fires and one that does not"));
    }

    [Fact]
    public void PrometheusRule_HasExactlyTheRulesOfTheRuleFile()
    {
        var ruleFile = ManifestLoader.LoadYaml(RuleFiles.Alerts);
        var crd = ManifestLoader.LoadYaml(Path.Combine(Repo.Monitoring, "prometheusrule.yaml"));
        Assert.Equal("monitoring.coreos.com/v1", crd.Text("apiVersion"));
        Assert.Equal("PrometheusRule", crd.Text("kind"));
        Assert.Equal(Canonical(ruleFile.Get("groups")!), Canonical(crd.Get("spec")!.Get("groups")!));
    }

    [Fact]
    public void ServiceMonitor_ScrapesTheHeadlessServiceHttpPort_AndLabelsTheCluster()
    {
        var monitor = ManifestLoader.LoadYaml(Path.Combine(Repo.Monitoring, "servicemonitor.yaml"));
        Assert.Equal("ServiceMonitor", monitor.Text("kind"));
        var headless = (k8s.Models.V1Service)ManifestLoader.LoadStrict(Path.Combine(Repo.Deploy, "base", "service-headless.yaml")).Single();
        var client = (k8s.Models.V1Service)ManifestLoader.LoadStrict(Path.Combine(Repo.Deploy, "base", "service-client.yaml")).Single();
        var selector = (YamlMappingNode)monitor.Get("spec")!.Get("selector")!.Get("matchLabels")!;
        bool Selects(k8s.Models.V1Service s) => selector.Children.All(kv => s.Metadata.Labels.TryGetValue(((YamlScalarNode)kv.Key).Value!, out var v) && v == ((YamlScalarNode)kv.Value).Value);
        Assert.True(Selects(headless), "the ServiceMonitor must select the headless Service");
        Assert.False(Selects(client), "the ServiceMonitor must not also select the client Service (pods would be scraped twice)");

        var endpoint = monitor.Get("spec")!.Items("endpoints").Single();
        Assert.Contains(headless.Spec.Ports, p => p.Name == endpoint.Text("port") && p.Port == 8080);
        Assert.Equal("/metrics", endpoint.Text("path"));
        Assert.Contains(endpoint.Items("relabelings"), r => r.Text("targetLabel") == "cluster");
        Assert.Equal("app.kubernetes.io/name", monitor.Get("spec")!.Text("jobLabel"));
    }

    private static string Canonical(YamlNode node) => node switch
    {
        YamlScalarNode s => System.Text.Json.JsonSerializer.Serialize(s.Value),
        YamlSequenceNode seq => "[" + string.Join(",", seq.Children.Select(Canonical)) + "]",
        YamlMappingNode map => "{" + string.Join(",", map.Children.OrderBy(kv => ((YamlScalarNode)kv.Key).Value, StringComparer.Ordinal)
            .Select(kv => Canonical(kv.Key) + ":" + Canonical(kv.Value))) + "}",
        _ => "?",
    };
}
