namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the memory scenario: agent B's peak resident set (<c>VmHWM</c>), median over <see cref="Runs"/>, while
/// it pulls <see cref="Rows"/> rows in the sync workload; <see cref="IdleRssMib"/> is its resident set after start,
/// before the rows; <see cref="Seconds"/> the sync time of those runs.
/// </summary>
internal sealed record MemoryReport(
    string Scenario,
    int Rows,
    double PeakRssMib,
    int Runs,
    double IdleRssMib,
    double MaxPeakRssMib,
    double Seconds);
