namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the lag scenario, medians over <see cref="Runs"/>. Lag is per transaction: from its commit on A to the
/// first poll of B that sees its last row (an upper bound by at most one poll interval, ~5 ms).
/// <see cref="AgentCpuSecondsPerMillionRows"/>: CPU seconds both agents used per million rows moved.
/// </summary>
internal sealed record LagReport(
    string Scenario,
    double IngestRowsPerS,
    double P50Ms,
    double P99Ms,
    int Runs,
    double Seconds,
    double TargetRowsPerS,
    int RowsPerTransaction,
    double MaxMs,
    long Rows,
    double AgentCpuSecondsPerMillionRows);
