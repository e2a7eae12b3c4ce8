using EdgeSync.Deploy.Tests.Support;

namespace EdgeSync.Deploy.Tests.Monitoring;

/// <summary>
/// Every <c>edgesync_*</c> name the alerts and the dashboard query is one the agent really exports: two agents run
/// in this process, sync (resolving conflicts), back up, and their <c>/metrics</c> is scraped. Counters that only
/// appear after an event a plaintext pair cannot cause (a peer refused by mutual TLS, a batch refused by the hub's
/// rules) must at least be counters the agent declares on its meter, under the name the exporter gives them.
/// </summary>
[Collection(InProcessAgents.Name)]
public sealed class MetricNameTests
{
    [Fact]
    public async Task AlertsAndDashboard_UseOnlyMetricsTheAgentExports()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await AgentPair.StartAsync(ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var used = RuleFiles.MetricNames(RuleFiles.AlertExpressions().Concat(RuleFiles.DashboardExpressions()));
        Assert.Contains("edgesync_replication_lag_seconds", used);
        var onlyAfterAnEvent = new HashSet<string>(
            ["edgesync_peers_refused_total", "edgesync_batches_unauthorized_total", "edgesync_schema_drift",
             "edgesync_lineage_reclaimed_changes_total", // a hub restored (PutBackHubTests)
             "edgesync_export_lag_seconds", "edgesync_export_lease_holder"], // a hub exporting to NATS (ExportTests)
            StringComparer.Ordinal);
        Assert.Subset(DeclaredInstruments(), onlyAfterAnEvent);
        used.ExceptWith(onlyAfterAnEvent);

        // Both agents' expositions: which of them counts an error first (A dialling B before B listens, or B's dead
        // peer) depends on start-up timing, and an agent's exposition need not show the other's instruments.
        async Task<HashSet<string>> BothAsync()
        {
            var names = ExportedNames(await http.GetStringAsync(new Uri(new Uri(pair.HttpA), "/metrics"), ct));
            names.UnionWith(ExportedNames(await http.GetStringAsync(new Uri(new Uri(pair.HttpB), "/metrics"), ct)));
            return names;
        }

        var exported = await Eventually.GetAsync(async () =>
        {
            var names = await BothAsync();
            return used.IsSubsetOf(names) ? names : null;
        }, "the agents to export every metric the alerts and dashboard use (conflicts, backups, sync)", TimeSpan.FromSeconds(30),
        () => "missing: " + string.Join(", ", used.Except(BothAsync().GetAwaiter().GetResult())));

        Assert.Superset(used, exported);
    }

    /// <summary>The exported names (<c>name_total</c> for counters, the name for gauges) of the instruments declared on the EdgeSync meter in this process.</summary>
    private static HashSet<string> DeclaredInstruments()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == EdgeSync.Diagnostics.EdgeSyncMetrics.MeterName && instrument.GetType().IsGenericType)
            {
                var kind = instrument.GetType().GetGenericTypeDefinition();
                if (kind == typeof(System.Diagnostics.Metrics.Counter<>))
                {
                    names.Add(instrument.Name + "_total");
                }
                else if (kind == typeof(System.Diagnostics.Metrics.Gauge<>) || kind == typeof(System.Diagnostics.Metrics.ObservableGauge<>))
                {
                    names.Add(instrument.Name);
                }
            }
        };
        listener.Start();
        return names;
    }

    /// <summary>Metric family names in a Prometheus text exposition (histogram series folded into their family).</summary>
    internal static HashSet<string> ExportedNames(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int end = line.IndexOfAny(['{', ' ']);
            string name = end < 0 ? line : line[..end];
            names.Add(name);
            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    names.Add(name[..^suffix.Length]);
                }
            }
        }

        return names;
    }
}
