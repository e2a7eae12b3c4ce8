namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the lagshare scenario: the raw insert rate of this machine (the <c>sync</c> workload's insert loop on a
/// file with no EdgeSync, median of three), and the lag scenario run at shares of it.
/// </summary>
internal sealed record LagShareReport(string Scenario, double RawRowsPerS, IReadOnlyList<LagShare> Shares);

/// <summary>
/// One share: the rate asked, the rate ingested, the lag percentiles in milliseconds, and the CPU seconds both agents
/// used per million rows (medians over the runs).
/// </summary>
internal sealed record LagShare(
    int PercentOfRaw, double TargetRowsPerS, double IngestRowsPerS, double P50Ms, double P99Ms, double MaxMs, double AgentCpuSecondsPerMillionRows);
