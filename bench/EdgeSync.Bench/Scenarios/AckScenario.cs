using System.Diagnostics;
using System.Net;
using System.Text;
using EdgeSync.Agent;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Issue 10's <c>ack</c> benchmark: ingest latency at 10,000 rows/s (100 rows per request, a request every 10 ms, sent
/// on schedule whether or not earlier ones were answered) for <c>ack=local</c>, <c>replicas:2</c> and <c>hub</c>. The
/// fleet is in this process (<see cref="InProcessAgent"/>, real gRPC and HTTP on loopback): a hub, and a factory of three
/// replicas in which edge-0 takes the ingest and dials the hub, and edge-1 and edge-2 dial edge-0. The baseline inserts
/// the same 100-row batches into a plain SQLite file (WAL, synchronous=NORMAL, as the engine) at the same pace.
/// </summary>
internal static class AckScenario
{
    public const int RowsPerRequest = 100;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private static readonly string[] LevelNames = ["local", "replicas:2", "hub"];

    public static AckReport Run(int seconds, int runs) => RunAsync(seconds, runs).GetAwaiter().GetResult();

    private static async Task<AckReport> RunAsync(int seconds, int runs)
    {
        using var dir = new TempDirectory("ack");
        string Path(string name)
        {
            string path = System.IO.Path.Combine(dir.Path, name, "plant.db");
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            Replica.Create(path, name == "hq" ? "hq" : "factory-001/" + name, TablePolicy.Append);
            return path;
        }

        var settings = new Dictionary<string, string?> { ["EdgeSync:Tables:t:Policy"] = "append" };
        await using var hub = await InProcessAgent.StartAsync(Path("hq"), "hq", [], settings, role: AgentRole.Hub).ConfigureAwait(false);
        await using var edge0 = await InProcessAgent.StartAsync(Path("edge-0"), "factory-001/edge-0", [], settings, hub: hub.GrpcUrl, role: AgentRole.Factory).ConfigureAwait(false);
        await using var edge1 = await InProcessAgent.StartAsync(Path("edge-1"), "factory-001/edge-1", [edge0.GrpcUrl], settings, role: AgentRole.Factory).ConfigureAwait(false);
        await using var edge2 = await InProcessAgent.StartAsync(Path("edge-2"), "factory-001/edge-2", [edge0.GrpcUrl], settings, role: AgentRole.Factory).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = new Uri(edge0.HttpUrl), Timeout = TimeSpan.FromSeconds(60) };
        string rawPath = System.IO.Path.Combine(dir.Path, "raw.db");
        using (var raw = Workload.OpenApp(rawPath))
        {
            Workload.Exec(raw, Workload.CreateTable);
        }

        long next = 1;
        // Warm-up: every replica connected and holding a first batch at the strongest level measured.
        var warm = await SendAsync(http, "hub", next, CancellationToken.None).ConfigureAwait(false);
        BenchmarkFailedException.Check(warm.Status == HttpStatusCode.OK, $"the warm-up request at ack=hub answered {(int)warm.Status}");
        next += RowsPerRequest;

        var rawP50 = new List<double>();
        var rawP99 = new List<double>();
        var levels = LevelNames.ToDictionary(l => l, _ => (P50: new List<double>(), P99: new List<double>(), TimedOut: 0));
        for (int run = 0; run < runs; run++)
        {
            List<double> rawLatencies;
            using (var raw = Workload.OpenApp(rawPath))
            {
                rawLatencies = Paced(seconds, () => InsertRaw(raw, ref next));
            }

            rawP50.Add(Stats.Percentile(rawLatencies, 0.5));
            rawP99.Add(Stats.Percentile(rawLatencies, 0.99));
            foreach (var level in LevelNames)
            {
                var (latencies, timedOut) = await PacedRequestsAsync(http, level, seconds, () => Interlocked.Add(ref next, RowsPerRequest) - RowsPerRequest)
                    .ConfigureAwait(false);
                BenchmarkFailedException.Check(latencies.Count > 0, $"every request at ack={level} timed out ({timedOut})");
                var l = levels[level];
                l.P50.Add(Stats.Percentile(latencies, 0.5));
                l.P99.Add(Stats.Percentile(latencies, 0.99));
                levels[level] = l with { TimedOut = l.TimedOut + timedOut };
                Report.Progress($"ack run {run + 1}/{runs}, {level}: p50 {Stats.Percentile(latencies, 0.5):0.0} ms, p99 {Stats.Percentile(latencies, 0.99):0.0} ms, "
                    + $"{timedOut} timed out, {Interlocked.Exchange(ref s_busy, 0)} busy answers retried");
            }
        }

        double raw50 = Stats.Median(rawP50);
        return new AckReport("ack", seconds, runs, (int)(RowsPerRequest / Tick.TotalSeconds), RowsPerRequest, raw50, Stats.Median(rawP99),
            LevelNames.Select(n => new AckLevelResult(n, Stats.Median(levels[n].P50), Stats.Median(levels[n].P99),
                Stats.Median(levels[n].P50) / Math.Max(raw50, 0.001), levels[n].TimedOut)).ToList());
    }

    /// <summary>One 100-row transaction into the plain file (an open connection, as ingest has); returns its latency in ms.</summary>
    private static double InsertRaw(Microsoft.Data.Sqlite.SqliteConnection app, ref long next)
    {
        var clock = Stopwatch.StartNew();
        Workload.Insert(app, next, RowsPerRequest);
        next += RowsPerRequest;
        return clock.Elapsed.TotalMilliseconds;
    }

    private static List<double> Paced(int seconds, Func<double> step)
    {
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        for (long tick = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds); tick++)
        {
            latencies.Add(step());
            var due = Tick * (tick + 1) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                Thread.Sleep(due);
            }
        }

        return latencies;
    }

    /// <summary>A request every 10 ms for <paramref name="seconds"/>, each on its own schedule; the latencies of those answered 200.</summary>
    private static async Task<(List<double> Latencies, int TimedOut)> PacedRequestsAsync(HttpClient http, string level, int seconds, Func<long> firstId)
    {
        var pending = new List<Task<(HttpStatusCode Status, double Ms)>>();
        var clock = Stopwatch.StartNew();
        for (long tick = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds); tick++)
        {
            pending.Add(SendAsync(http, level, firstId(), CancellationToken.None));
            var due = Tick * (tick + 1) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due).ConfigureAwait(false);
            }
        }

        var answers = await Task.WhenAll(pending).ConfigureAwait(false);
        // 504: written, not acknowledged in time; 503: written, but capturing them to wait failed (both counted, not timed).
        var wrong = answers.FirstOrDefault(a => a.Status is not (HttpStatusCode.OK or HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable));
        BenchmarkFailedException.Check(wrong == default, $"a request at ack={level} answered {(int)wrong.Status}");
        return (answers.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.Ms).ToList(), answers.Count(a => a.Status != HttpStatusCode.OK));
    }

    private static async Task<(HttpStatusCode Status, double Ms)> SendAsync(HttpClient http, string level, long first, CancellationToken ct)
    {
        var body = new StringBuilder("[");
        for (long id = first; id < first + RowsPerRequest; id++)
        {
            body.Append(id == first ? "" : ",").Append("{\"id\":").Append(id).Append(",\"device\":\"dev-").Append(id % 100)
                .Append("\",\"ts\":").Append(id).Append(",\"value\":1.5}");
        }

        string json = body.Append(']').ToString();
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri($"/v1/tables/t/rows?ack={level}&ackTimeoutMs=10000", UriKind.Relative), content, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 50
                && (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Contains("nothing was written", StringComparison.Ordinal))
            {
                // The write lock stayed busy (nothing was written): an application retries, and waits that long.
                Interlocked.Increment(ref s_busy);
                await Task.Delay(10, ct).ConfigureAwait(false);
                continue;
            }

            return (response.StatusCode, clock.Elapsed.TotalMilliseconds);
        }
    }

    private static int s_busy;
}
