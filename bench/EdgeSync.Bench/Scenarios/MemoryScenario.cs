using EdgeSync.Bench.Internal;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Memory of the receiving agent in the sync workload: B runs as its own process (<c>dotnet edgesync.dll serve</c>,
/// A as its peer) so its resident set is its own; A and the application run here. Peak RSS is B's <c>VmHWM</c>
/// read from <c>/proc</c> once all rows are committed on B.
/// </summary>
internal static class MemoryScenario
{
    public static MemoryReport Run(int rows, int runs)
    {
        var results = new List<SyncRun.Result>();
        for (int run = 0; run < runs; run++)
        {
            var r = SyncRun.RunAsync(rows, childB: true).GetAwaiter().GetResult();
            results.Add(r);
            Report.Progress($"memory run {run + 1}/{runs}: B peak RSS {r.PeakRssMiB:N1} MiB (idle {r.IdleRssMiB:N1} MiB), {r.Seconds:N2} s for {rows:N0} rows");
        }

        return new MemoryReport(
            "memory", rows, Math.Round(Stats.Median(results.Select(r => r.PeakRssMiB)), 1), runs,
            Math.Round(Stats.Median(results.Select(r => r.IdleRssMiB)), 1), Math.Round(results.Max(r => r.PeakRssMiB), 1),
            Math.Round(Stats.Median(results.Select(r => r.Seconds)), 3));
    }
}
