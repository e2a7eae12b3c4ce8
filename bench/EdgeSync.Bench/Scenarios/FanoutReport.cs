namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the fanout scenario: for each number of factory replicas, how long a change written at the hub took to
/// reach each replica (p50, p99 and max over every replica and change) and to reach the last one (median over the
/// changes), with what all the agents in this one process cost meanwhile.
/// </summary>
internal sealed record FanoutReport(string Scenario, int Changes, IReadOnlyList<FanoutSize> Sizes);

/// <summary>
/// One size of the fanout scenario, in milliseconds (replica files polled every 5 ms). <see cref="CpuPercentPerAgent"/>:
/// this process's CPU time over the measured changes / wall time / agents × 100; <see cref="RssMibPerAgent"/>: its
/// resident set at the end / agents.
/// </summary>
internal sealed record FanoutSize(int Replicas, double StartSeconds, double P50Ms, double P99Ms, double MaxMs, double LastMedianMs,
    double CpuPercentPerAgent, double RssMibPerAgent);
