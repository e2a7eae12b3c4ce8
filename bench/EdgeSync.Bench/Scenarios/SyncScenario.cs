using EdgeSync.Bench.Internal;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// End-to-end sync between two agents on loopback gRPC: the application inserts rows into an <c>append</c> table on
/// A; B (A as its peer) pulls them. Time from the first insert on A until all rows are committed on B, compared with
/// raw SQLite inserts of the same rows on a fresh file in the same run (see <see cref="SyncRun"/>).
/// </summary>
internal static class SyncScenario
{
    public static SyncReport Run(int rows, int runs)
    {
        // Warm-up at full size, not reported: a long-running agent has every hot path at its final JIT tier; a short
        // warm-up left the tier-1 recompilation of the per-batch loops inside the first measured runs.
        SyncRun.RunAsync(rows, childB: false).GetAwaiter().GetResult();

        var results = new List<SyncRun.Result>();
        for (int run = 0; run < runs; run++)
        {
            var r = SyncRun.RunAsync(rows, childB: false).GetAwaiter().GetResult();
            results.Add(r);
            Report.Progress($"sync run {run + 1}/{runs}: {r.Seconds:N2} s to B ({rows / r.Seconds:N0} rows/s; inserts on A {r.InsertSeconds:N2} s), "
                + $"raw {r.RawRowsPerSecond:N0} rows/s, ratio {rows / r.Seconds / r.RawRowsPerSecond:N3}");
        }

        double seconds = Stats.Median(results.Select(r => r.Seconds));
        return new SyncReport(
            "sync", rows, Math.Round(seconds, 3), Math.Round(rows / seconds), Math.Round(Stats.Median(results.Select(r => r.RawRowsPerSecond))),
            Math.Round(Stats.Median(results.Select(r => rows / r.Seconds / r.RawRowsPerSecond)), 3), runs,
            Math.Round(Stats.Median(results.Select(r => r.InsertSeconds)), 3));
    }
}
