using EdgeSync.Bench.Internal;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Replication lag at a share of what this machine can insert, not at a fixed rate (a fixed rate is an easy load on a
/// fast machine and an overload on a slow one): first the raw insert rate (<see cref="SyncRun.RawRowsPerSecond"/>,
/// 1M rows, median of three), then <see cref="LagScenario"/> at 10, 30 and 50 % of it, in the same invocation.
/// </summary>
internal static class LagShareScenario
{
    private static readonly int[] Percents = [10, 30, 50];

    public static LagShareReport Run(int seconds, int runs, int _)
    {
        double raw = Stats.Median(Enumerable.Range(0, 3).Select(i => SyncRun.RawRowsPerSecond(1_000_000)));
        Report.Progress($"lagshare: raw insert rate {raw:N0} rows/s");
        var shares = new List<LagShare>();
        foreach (int percent in Percents)
        {
            int rate = (int)(raw * percent / 100);
            var lag = LagScenario.Run(seconds, runs, rate);
            Report.Progress($"lagshare {percent} % ({rate:N0} rows/s): p50 {lag.P50Ms:N1} ms, p99 {lag.P99Ms:N1} ms, agents' CPU {lag.AgentCpuSecondsPerMillionRows:N2} s per million rows");
            shares.Add(new LagShare(percent, lag.TargetRowsPerS, lag.IngestRowsPerS, lag.P50Ms, lag.P99Ms, lag.MaxMs, lag.AgentCpuSecondsPerMillionRows));
        }

        return new LagShareReport("lagshare", Math.Round(raw), shares);
    }
}
