using System.Diagnostics;
using EdgeSync.Bench.Internal;

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
        using var pair = await ChildPair.StartAsync(dir, databases).ConfigureAwait(false);
        var (a, b) = (pair.A, pair.B);
        await Task.Delay(Settle).ConfigureAwait(false);
        var (rounds0, refusedA0) = await pair.MetricsAsync(pair.HttpA).ConfigureAwait(false);
        var (_, refusedB0) = await pair.MetricsAsync(pair.HttpB).ConfigureAwait(false);
        double cpuA0 = a.CpuSeconds(), cpuB0 = b.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await Task.Delay(window).ConfigureAwait(false);
        double cpuA = a.CpuSeconds() - cpuA0, cpuB = b.CpuSeconds() - cpuB0;
        double wall = clock.Elapsed.TotalSeconds;
        var (rounds1, refusedA1) = await pair.MetricsAsync(pair.HttpA).ConfigureAwait(false);
        var (_, refusedB1) = await pair.MetricsAsync(pair.HttpB).ConfigureAwait(false);
        BenchmarkFailedException.Check(!a.HasExited && !b.HasExited, $"an agent exited during the window:\n{a.Tail()}\n{b.Tail()}");
        return new IdleSize(databases, 100 * cpuA / wall, 100 * cpuB / wall, a.StatusMiB("VmRSS"), b.StatusMiB("VmRSS"),
            (rounds1 - rounds0) / wall, refusedA1 - refusedA0 + refusedB1 - refusedB0);
    }
}
