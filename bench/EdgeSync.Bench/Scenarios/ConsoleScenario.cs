using System.Diagnostics;
using System.Net;
using EdgeSync.Agent;
using EdgeSync.Agent.Console;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Limits;
using EdgeSync.Bench.Internal;
using EdgeSync.Clocks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// The fleet console under a fleet of 50 factories × 10 replicas, each seen on 20 databases, at a real hub agent: its
/// peer boards are filled with synthetic vectors (one in twenty replicas 2 changes behind) and every replica but one per
/// ten factories holds a call open (the others show as cut, so problems are listed). The snapshot builder, the cache and
/// the endpoints are the agent's own. A benchmark, not a test: it prints times; the target is &lt; 200 ms.
/// </summary>
internal static class ConsoleScenario
{
    private const int Factories = 50;
    private const int ReplicasPerFactory = 10;
    private const int DatabaseCount = 20;

    public static ConsoleReport Run(int requests, int runs) => RunAsync(requests, runs).GetAwaiter().GetResult();

    private static async Task<ConsoleReport> RunAsync(int requests, int runs)
    {
        using var dir = new TempDirectory("console");
        var paths = Enumerable.Range(0, DatabaseCount).Select(i => Path.Combine(dir.Path, $"plant-{i:00}.db")).ToList();
        foreach (var path in paths)
        {
            using var c = new SqliteConnection($"Data Source={path};Pooling=false");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT); "
                + "CREATE TABLE readings(id INTEGER PRIMARY KEY, machine TEXT, value REAL); INSERT INTO config VALUES ('a', '1'), ('b', '2');";
            cmd.ExecuteNonQuery();
        }

        var builder = AgentHost.CreateBuilder([], new AgentLaunchSettings
        {
            Databases = paths,
            Site = "hq",
            Role = AgentRole.Hub,
            Listen = ["http://127.0.0.1:0"],
            HttpListen = ["http://127.0.0.1:0"],
            Settings = new Dictionary<string, string?>
            {
                ["EdgeSync:Tables:config:Policy"] = "lww",
                ["EdgeSync:Tables:config:Direction"] = "down",
                ["EdgeSync:Tables:readings:Policy"] = "append",
                ["EdgeSync:Tables:readings:Direction"] = "up",
            },
        });
        builder.Logging.ClearProviders();
        await using var app = AgentHost.Build(builder);
        await app.StartAsync();
        string url = AgentHost.Addresses(app).Http[0];
        var registry = app.Services.GetRequiredService<DatabaseRegistry>();
        await WaitAsync(() => registry.All.All(d => d.TryVector() is { Count: > 0 }), "the hub captured its rows");
        Fill(registry, app.Services.GetRequiredService<PeerStreamLimiter>());
        Report.Progress($"console: a hub with {DatabaseCount} databases, {Factories * ReplicasPerFactory} replicas in {Factories} factories; {requests} requests each, {runs} runs");

        var source = app.Services.GetRequiredService<IFleetSnapshotSource>();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var build = new List<double>();
        var fleet = new List<double>();
        var notModified = new List<double>();
        var cluster = new List<double>();
        var ui = new List<double>();
        var baseline = new List<double>();
        long bytes = 0;
        for (int run = 0; run <= runs; run++) // run 0 warms up
        {
            var b = new List<double>();
            var f = new List<double>();
            var n = new List<double>();
            var c = new List<double>();
            var u = new List<double>();
            var h = new List<double>();
            string? etag = null;
            for (int i = 0; i < requests; i++)
            {
                long t = Stopwatch.GetTimestamp();
                var snapshot = source.Build();
                bytes = FleetSnapshotCache.Serialize(snapshot, 0, FleetSnapshotCache.Summary(snapshot)).Json.Length;
                b.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                f.Add(await TimeAsync(http, "/v1/fleet", null, HttpStatusCode.OK, e => etag = e));
                n.Add(await TimeAsync(http, "/v1/fleet", etag, HttpStatusCode.NotModified, null, HttpStatusCode.OK));
                c.Add(await TimeAsync(http, $"/v1/fleet/factory-{i % Factories + 1:000}", null, HttpStatusCode.OK));
                u.Add(await TimeAsync(http, "/ui", null, HttpStatusCode.OK));
                h.Add(await TimeAsync(http, "/healthz/live", null, HttpStatusCode.OK));
                await Task.Delay(100);
            }

            if (run > 0)
            {
                Report.Progress($"  run {run}: build {Stats.Median(b):0.0} ms, /v1/fleet p50 {Stats.Median(f):0.0} ms p99 {P99(f):0.0} ms, 304 {Stats.Median(n):0.0} ms, "
                    + $"cluster {Stats.Median(c):0.0} ms, /ui {Stats.Median(u):0.0} ms, healthz {Stats.Median(h):0.0} ms");
                build.AddRange(b);
                fleet.AddRange(f);
                notModified.AddRange(n);
                cluster.AddRange(c);
                ui.AddRange(u);
                baseline.AddRange(h);
            }
        }

        await app.StopAsync();
        return new ConsoleReport("console", Factories, Factories * ReplicasPerFactory, DatabaseCount, fleet.Count, bytes,
            Round(Stats.Median(build)), Round(P99(build)), Round(Stats.Median(fleet)), Round(P99(fleet)), Round(Stats.Median(notModified)),
            Round(P99(notModified)), Round(Stats.Median(cluster)), Round(P99(cluster)), Round(Stats.Median(ui)), Round(P99(ui)),
            Round(Stats.Median(baseline)), Math.Round(Stats.Median(fleet) / Stats.Median(baseline), 1));
    }

    /// <summary>Every replica seen on every database; most hold everything, one in twenty lacks 2 changes; one replica in ten has no call open.</summary>
    private static void Fill(DatabaseRegistry registry, PeerStreamLimiter limiter)
    {
        for (int f = 1; f <= Factories; f++)
        {
            for (int r = 0; r < ReplicasPerFactory; r++)
            {
                string site = $"factory-{f:000}/sqlite-edge-{r}";
                bool behind = (f * ReplicasPerFactory + r) % 20 == 0;
                foreach (var hosted in registry.All)
                {
                    var local = hosted.TryVector()!;
                    var vector = behind ? VersionVector.From(local.Select(e => KeyValuePair.Create(e.Key, Math.Max(0, e.Value - 2)))) : local;
                    hosted.Board.Observe(site, vector.With(site, 10 + r), success: true);
                }

                if (!(f % 10 == 0 && r == 0) && !limiter.TryAcquire(site, 8, out _))
                {
                    throw new BenchmarkFailedException($"could not mark {site} connected");
                }
            }
        }
    }

    private static async Task<double> TimeAsync(HttpClient http, string path, string? etag, HttpStatusCode expected, Action<string?>? etagOut = null,
        HttpStatusCode? alsoAccepted = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        long t = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (response.StatusCode != expected && response.StatusCode != alsoAccepted)
        {
            throw new BenchmarkFailedException($"GET {path} answered {(int)response.StatusCode}, expected {(int)expected}");
        }

        etagOut?.Invoke(response.Headers.ETag?.Tag);
        return ms;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new BenchmarkFailedException($"timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    private static double P99(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];
    }

    private static double Round(double ms) => Math.Round(ms, 2);
}
