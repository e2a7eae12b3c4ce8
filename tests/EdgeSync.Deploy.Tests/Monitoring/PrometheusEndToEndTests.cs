using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EdgeSync.Deploy.Tests.Support;

namespace EdgeSync.Deploy.Tests.Monitoring;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) scrapes two live agents on 127.0.0.1 with the shipped
/// alert rules: the sync metrics come back through its query API, and EdgeSyncPeerUnreachable fires once agent B
/// is stopped. The rule's 2-minute window and 1-minute <c>for</c> are shortened (and only those, checked) so the
/// test takes seconds. Config and data live in a temporary folder; every wait is bounded.
/// </summary>
[Collection(InProcessAgents.Name)]
public sealed class PrometheusEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Prometheus_ScrapesTwoAgents_AndPeerUnreachableFiresAfterOneStops()
    {
        string prometheus = Tools.Require("prometheus", "prometheus");
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await AgentPair.StartAsync(ct);
        using var dir = new TempDir();

        string rules = File.ReadAllText(RuleFiles.Alerts);
        const string Window = "(increase(edgesync_sync_rounds_total{result=\"ok\"}[2m])) == 0";
        Assert.Contains(Window, rules, StringComparison.Ordinal);
        rules = rules.Replace(Window, "(increase(edgesync_sync_rounds_total{result=\"ok\"}[5s])) == 0", StringComparison.Ordinal);
        int forAt = rules.IndexOf("for: 1m", rules.IndexOf("alert: EdgeSyncPeerUnreachable", StringComparison.Ordinal), StringComparison.Ordinal);
        rules = string.Concat(rules.AsSpan(0, forAt), "for: 0s", rules.AsSpan(forAt + "for: 1m".Length));
        File.WriteAllText(dir.File("alerts.yaml"), rules);

        int port = FreePort();
        File.WriteAllText(dir.File("prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - {dir.File("alerts.yaml")}
            scrape_configs:
              - job_name: sqlite-edge
                metrics_path: /metrics
                static_configs:
                  - targets: ["{new Uri(pair.HttpA).Authority}"]
                    labels: {"{"}cluster: e2e, pod: sqlite-edge-0{"}"}
                  - targets: ["{new Uri(pair.HttpB).Authority}"]
                    labels: {"{"}cluster: e2e, pod: sqlite-edge-1{"}"}
            """);

        var info = new ProcessStartInfo(prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        foreach (var arg in new[]
        {
            $"--config.file={dir.File("prometheus.yml")}", $"--storage.tsdb.path={dir.File("data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Log() => "prometheus log (last lines):\n" + string.Join('\n', log.TakeLast(20));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

            // The sync metrics of both agents, through the query API.
            await Eventually.GetAsync(async () =>
            {
                var result = await QueryAsync(http, "edgesync_last_sync_timestamp_seconds > 0", ct);
                return result.Any(r => r.Labels.GetValueOrDefault("site") == pair.SiteA && r.Labels.GetValueOrDefault("peer") == pair.SiteB)
                    && result.Any(r => r.Labels.GetValueOrDefault("site") == pair.SiteB && r.Labels.GetValueOrDefault("peer") == pair.SiteA)
                    ? result : null;
            }, "Prometheus to hold edgesync_last_sync_timestamp_seconds for A->B and B->A", Wait, Log);
            var applied = await Eventually.GetAsync(async () =>
            {
                var result = await QueryAsync(http, "sum(edgesync_changes_applied_total)", ct);
                return result.Count == 1 && result[0].Value > 0 ? result : null;
            }, "edgesync_changes_applied_total > 0 in Prometheus", Wait, Log);
            Assert.True(applied[0].Value > 0);
            await Eventually.GetAsync(async () =>
            {
                var up = await QueryAsync(http, "up{job=\"sqlite-edge\"} == 1", ct);
                return up.Count == 2 ? up : null;
            }, "both agents scraped (up == 1)", Wait, Log);

            // Quiet but healthy: rounds keep succeeding both ways, so nothing fires (checked over more than the window).
            await Task.Delay(TimeSpan.FromSeconds(7), ct);
            var before = await AlertsAsync(http, ct);
            Assert.DoesNotContain(before, a => a.Name == "EdgeSyncPeerUnreachable" && a.Labels.GetValueOrDefault("peer") is { } p && (p == pair.SiteA || p == pair.SiteB));

            await pair.StopBAsync();

            var firing = await Eventually.GetAsync(async () =>
            {
                var alerts = await AlertsAsync(http, ct);
                return alerts.FirstOrDefault(a => a.Name == "EdgeSyncPeerUnreachable" && a.State == "firing"
                    && a.Labels.GetValueOrDefault("pod") == "sqlite-edge-0" && a.Labels.GetValueOrDefault("peer") == pair.SiteB);
            }, "EdgeSyncPeerUnreachable to fire for A -> B after B stopped", Wait, Log);
            Assert.Equal("warning", firing.Labels["severity"]);
            Assert.Equal("e2e", firing.Labels["cluster"]);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    private sealed record Sample(Dictionary<string, string> Labels, double Value);

    private sealed record Alert(string Name, string State, Dictionary<string, string> Labels);

    private static async Task<List<Sample>> QueryAsync(HttpClient http, string query, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(query)}", UriKind.Relative), ct));
            return [.. doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => new Sample(
                Labels(r.GetProperty("metric")),
                double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
        }
        catch (HttpRequestException)
        {
            return [];   // still starting
        }
    }

    private static async Task<List<Alert>> AlertsAsync(HttpClient http, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/alerts", UriKind.Relative), ct));
            return [.. doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a => new Alert(
                a.GetProperty("labels").GetProperty("alertname").GetString()!, a.GetProperty("state").GetString()!, Labels(a.GetProperty("labels"))))];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private static Dictionary<string, string> Labels(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
