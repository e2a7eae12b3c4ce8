using System.Text.RegularExpressions;
using EdgeSync.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace EdgeSync.Deploy.Tests.Monitoring;

/// <summary>The PromQL of the alert rules and the dashboard, and the metric names it uses.</summary>
internal static partial class RuleFiles
{
    public static string Alerts => Path.Combine(Repo.Monitoring, "alerts.yaml");

    public static string AlertTests => Path.Combine(Repo.Monitoring, "alerts.test.yaml");

    public static string Dashboard => Path.Combine(Repo.Monitoring, "dashboard.json");

    public static IReadOnlyList<YamlNode> Rules(YamlNode groupsOwner) =>
        [.. groupsOwner.Items("groups").SelectMany(g => g.Items("rules"))];

    public static IEnumerable<string> AlertExpressions() =>
        Rules(ManifestLoader.LoadYaml(Alerts)).Select(r => r.Text("expr")!);

    public static IEnumerable<string> DashboardExpressions()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Dashboard));
        return doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
    }

    /// <summary>Every <c>edgesync_*</c> metric name in the expressions.</summary>
    public static SortedSet<string> MetricNames(IEnumerable<string> expressions) =>
        new(expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)), StringComparer.Ordinal);

    [GeneratedRegex(@"\bedgesync_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
