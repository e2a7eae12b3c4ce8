using System.Globalization;
using System.Net;
using System.Text;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Diagnostics;

public sealed class MetricsAndHealthTests
{
    private static readonly string[] Names =
    [
        "edgesync_changes_captured_total", "edgesync_changes_applied_total", "edgesync_changes_sent_total", "edgesync_changes_received_total",
        "edgesync_batches_sent_total", "edgesync_batches_applied_total", "edgesync_sent_bytes_total", "edgesync_received_bytes_total",
        "edgesync_replication_lag_seconds", "edgesync_peer_backlog_changes", "edgesync_last_sync_timestamp_seconds",
        "edgesync_capture_lag_seconds_bucket", "edgesync_errors_total", "edgesync_sync_rounds_total", "edgesync_ingest_rows_total",
        "edgesync_capture_heartbeat_age_seconds",
    ];

    [Fact]
    public async Task Metrics_ArePublished_AndMoveWithTraffic()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "metrics-a");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "metrics-b", peers: [a.Url, TestAgent.DeadUrl()]);
        var ct = TestContext.Current.CancellationToken;
        using var post = await a.Http.PostAsync("/v1/tables/items/rows",
            new StringContent("""[{"id": "m1", "name": "x"}]""", Encoding.UTF8, "application/json"), ct);
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items") == 1, "first row synced");

        string first = "";
        string fromA = "";
        await Eventually.TrueAsync(async () =>
        {
            // Each agent exports only its own instruments (a ingested, captured and sent the row; b pulled it, and
            // fails rounds with the dead peer): together they show every name, and only a the ingest.
            first = await b.Http.GetStringAsync("/metrics", ct);
            fromA = await a.Http.GetStringAsync("/metrics", ct);
            return Names.All(n => first.Contains(n, StringComparison.Ordinal) || fromA.Contains(n, StringComparison.Ordinal))
                && fromA.Contains("edgesync_ingest_rows_total", StringComparison.Ordinal)
                && !first.Contains("edgesync_ingest_rows_total", StringComparison.Ordinal);
        }, "every metric name is on /metrics of a or b, the ingest on a's only", diagnostics: () => "missing: "
            + string.Join(", ", Names.Where(n => !first.Contains(n, StringComparison.Ordinal) && !fromA.Contains(n, StringComparison.Ordinal)))
            + $"; ingest on a: {fromA.Contains("edgesync_ingest_rows_total", StringComparison.Ordinal)}, on b: {first.Contains("edgesync_ingest_rows_total", StringComparison.Ordinal)}");

        double sentBefore = Sum(first, "edgesync_changes_sent_total");
        double capturedBefore = Sum(first, "edgesync_changes_captured_total");
        AppDb.Exec(b.DbPath, "INSERT INTO items(id, name) VALUES ('m2', 'y'), ('m3', 'z')");
        await Eventually.TrueAsync(() => AppDb.Count(a.DbPath, "items") == 3, "b's rows reach a");

        await Eventually.TrueAsync(async () =>
        {
            string now = await b.Http.GetStringAsync("/metrics", ct);
            return Sum(now, "edgesync_changes_sent_total") >= sentBefore + 2 && Sum(now, "edgesync_changes_captured_total") >= capturedBefore + 2
                && now.Contains("peer=\"metrics-a\"", StringComparison.Ordinal);
        }, "sent and captured counters grew by the two rows; per-peer series are labelled with the peer's site");
    }

    [Fact]
    public async Task HealthEndpoints_AreUp_WhenTheDatabaseIsOpenAndWritable()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "health-a");
        var ct = TestContext.Current.CancellationToken;

        using var live = await a.Http.GetAsync("/healthz/live", ct);
        using var ready = await a.Http.GetAsync("/healthz/ready", ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Sum of every series of a metric in Prometheus text format (<c>name{labels} value [timestamp]</c>).</summary>
    private static double Sum(string text, string name) =>
        text.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => l[(l.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : name.Length)..].Trim().Split(' ')[0])
            .Sum(v => double.Parse(v, CultureInfo.InvariantCulture));

    [Fact]
    public async Task ScheduledBackups_AreTaken_Rotated_AndPublishedAsAMetric()
    {
        using var dir = new TempDir();
        string backups = Path.Combine(Path.GetDirectoryName(dir.Db("a"))!, "backups");
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "backup-a", settings: new Dictionary<string, string?>
        {
            ["EdgeSync:BackupDirectory"] = backups,
            ["EdgeSync:BackupIntervalMinutes"] = "0.01",
            ["EdgeSync:BackupRetention"] = "2",
        });
        var ct = TestContext.Current.CancellationToken;
        await Eventually.TrueAsync(() => Directory.Exists(backups) && Directory.GetFiles(backups, "app-*.db").Length == 2
            && a.Db.Status.LastBackupAt is not null, "two backups kept");
        await Task.Delay(1_500, ct);
        Assert.Equal(2, Directory.GetFiles(backups, "app-*.db").Length); // older ones were deleted
        var metrics = await a.Http.GetStringAsync("/metrics", ct);
        var line = metrics.Split('\n').First(l => l.StartsWith("edgesync_last_backup_timestamp_seconds{", StringComparison.Ordinal)
            && l.Contains("site=\"backup-a\"", StringComparison.Ordinal));
        double seconds = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        Assert.InRange(seconds, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
    }
}
