using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// What two agents cost when nothing is written: agents A and B, each its own <c>edgesync serve</c> process, host the
/// same N databases (by name) and are each other's peer, as two replicas of a StatefulSet are. Once every database has
/// synced once (each agent's <c>edgesync_sync_rounds_total{result="ok"}</c> reaches N) and a settling pause of 40 s
/// has passed (idle rounds stretch to <c>IdleSyncIntervalMs</c> meanwhile), CPU time of each process is read from <c>/proc/&lt;pid&gt;/stat</c> at the start and end of a window of
/// wall time; RSS is <c>VmRSS</c> at its end. The agents run with their default <c>MaxStreamsPerPeer</c>: one
/// conversation per peer carries every database (before issue 12 item 2 it had to be raised to 2N + 8).
/// </summary>
internal static class IdleScenario
{
    private static readonly int[] Sizes = [1, 100, 500];
    // Long enough for idle peer loops to stretch their periodic rounds to IdleSyncIntervalMs (1 + 2 + 4 + 8 + 16 s).
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(40);

    public static IdleReport Run(int seconds, int runs, int maxDatabases)
    {
        var sizes = Sizes.Where(n => n < maxDatabases).Append(maxDatabases).ToList();
        var results = new List<IdleSize>();
        foreach (int n in sizes)
        {
            var measured = new List<IdleSize>();
            for (int run = 0; run < runs; run++)
            {
                var m = RunOnceAsync(n, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
                measured.Add(m);
                Report.Progress($"idle {n} databases, run {run + 1}/{runs}: CPU A {m.CpuPercentA:N2} %, B {m.CpuPercentB:N2} % of a core; "
                    + $"RSS A {m.RssMibA:N0} MiB, B {m.RssMibB:N0} MiB; {m.RoundsPerSecondA:N1} rounds/s; {m.RefusedCalls} calls refused");
            }

            double Med(Func<IdleSize, double> f) => Math.Round(Stats.Median(measured.Select(f)), 2);
            results.Add(new IdleSize(n, Med(m => m.CpuPercentA), Med(m => m.CpuPercentB), Math.Round(Med(m => m.RssMibA), 1),
                Math.Round(Med(m => m.RssMibB), 1), Med(m => m.RoundsPerSecondA), measured.Max(m => m.RefusedCalls)));
        }

        return new IdleReport("idle", seconds, runs, results);
    }

    private static async Task<IdleSize> RunOnceAsync(int databases, TimeSpan window)
    {
        using var dir = new TempDirectory("idle");
        var pathsA = Prepare(dir, "a", SyncRun.SiteA, databases);
        var pathsB = Prepare(dir, "b", SyncRun.SiteB, databases);
        int grpcA = FreePort(), grpcB = FreePort(), httpA = FreePort(), httpB = FreePort();
        var environment = new Dictionary<string, string>();
        using var a = ChildAgent.Start(pathsA, SyncRun.SiteA, [Url(grpcB)], Url(grpcA), Url(httpA), environment);
        using var b = ChildAgent.Start(pathsB, SyncRun.SiteB, [Url(grpcA)], Url(grpcB), Url(httpB), environment);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var warm = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(60 + databases / 2);
        while (true)
        {
            BenchmarkFailedException.Check(!a.HasExited && !b.HasExited, $"an agent exited:\n{a.Tail()}\n{b.Tail()}");
            var (roundsA, _) = await MetricsAsync(http, httpA).ConfigureAwait(false);
            var (roundsB, _) = await MetricsAsync(http, httpB).ConfigureAwait(false);
            if (roundsA >= databases && roundsB >= databases)
            {
                break;
            }

            BenchmarkFailedException.Check(warm.Elapsed < limit,
                $"after {limit.TotalSeconds:N0} s A has run {roundsA} and B {roundsB} rounds, fewer than {databases} databases:\n{a.Tail()}\n{b.Tail()}");
            await Task.Delay(500).ConfigureAwait(false);
        }

        await Task.Delay(Settle).ConfigureAwait(false);
        var (rounds0, refusedA0) = await MetricsAsync(http, httpA).ConfigureAwait(false);
        var (_, refusedB0) = await MetricsAsync(http, httpB).ConfigureAwait(false);
        double cpuA0 = a.CpuSeconds(), cpuB0 = b.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await Task.Delay(window).ConfigureAwait(false);
        double cpuA = a.CpuSeconds() - cpuA0, cpuB = b.CpuSeconds() - cpuB0;
        double wall = clock.Elapsed.TotalSeconds;
        var (rounds1, refusedA1) = await MetricsAsync(http, httpA).ConfigureAwait(false);
        var (_, refusedB1) = await MetricsAsync(http, httpB).ConfigureAwait(false);
        BenchmarkFailedException.Check(!a.HasExited && !b.HasExited, $"an agent exited during the window:\n{a.Tail()}\n{b.Tail()}");
        return new IdleSize(databases, 100 * cpuA / wall, 100 * cpuB / wall, a.StatusMiB("VmRSS"), b.StatusMiB("VmRSS"),
            (rounds1 - rounds0) / wall, refusedA1 - refusedA0 + refusedB1 - refusedB0);
    }

    /// <summary>N databases named <c>db-000.db</c>… under <c>{dir}/{side}</c>: one prepared, the rest copies of it.</summary>
    private static List<string> Prepare(TempDirectory dir, string side, string site, int databases)
    {
        string template = dir.Database(side + "-template");
        Replica.Create(template, site, TablePolicy.Lww);
        string folder = Path.Combine(dir.Path, side);
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (int i = 0; i < databases; i++)
        {
            string path = Path.Combine(folder, $"db-{i:D3}.db");
            File.Copy(template, path);
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Successful rounds this agent ran, and calls it refused for the stream limit, from its /metrics.</summary>
    private static async Task<(long Rounds, long Refused)> MetricsAsync(HttpClient http, int port)
    {
        string text;
        try
        {
            text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, 0); // not listening yet, or too busy to answer within the client's timeout
        }

        long rounds = 0, refused = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("edgesync_sync_rounds_total{", StringComparison.Ordinal) && line.Contains("result=\"ok\"", StringComparison.Ordinal))
            {
                rounds += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("edgesync_streams_refused_total", StringComparison.Ordinal))
            {
                refused += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return (rounds, refused);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Url(int port) => $"http://127.0.0.1:{port}";
}
