namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the idle scenario: for each number of databases, both agents' CPU share of one core over
/// <see cref="WindowSeconds"/> of nothing written, their resident sets at the end, and the sync rounds per second
/// agent A's peer loops ran in that window.
/// </summary>
internal sealed record IdleReport(string Scenario, int WindowSeconds, int Runs, IReadOnlyList<IdleSize> Sizes);

/// <summary>
/// One size of the idle scenario (medians over the runs). <see cref="CpuPercentA"/>, <see cref="CpuPercentB"/>:
/// (user + system CPU time) / wall time × 100, so 100 is one core busy. <see cref="RssMibA"/>, <see cref="RssMibB"/>:
/// <c>VmRSS</c>. <see cref="RoundsPerSecondA"/>: A's successful rounds with B per second; <see cref="RefusedCalls"/>:
/// calls either agent refused under <c>MaxStreamsPerPeer</c> during the window.
/// </summary>
internal sealed record IdleSize(
    int Databases,
    double CpuPercentA,
    double CpuPercentB,
    double RssMibA,
    double RssMibB,
    double RoundsPerSecondA,
    long RefusedCalls);
