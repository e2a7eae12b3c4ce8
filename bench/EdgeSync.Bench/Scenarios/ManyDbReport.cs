namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the manydb scenario: for each number of databases per agent, the time from a commit on A until B's file
/// holds the row, over every written database of every run (<see cref="ManyDbSize.Writes"/> in all).
/// </summary>
internal sealed record ManyDbReport(string Scenario, int DatabasesWritten, int Runs, IReadOnlyList<ManyDbSize> Sizes);

/// <summary>One size of the manydb scenario: commit-to-peer percentiles in milliseconds (polled every 5 ms).</summary>
internal sealed record ManyDbSize(int Databases, int Writes, double P50Ms, double P99Ms, double MaxMs);
