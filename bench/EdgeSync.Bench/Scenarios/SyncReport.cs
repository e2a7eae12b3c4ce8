namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the sync scenario, medians over <see cref="Runs"/>. <see cref="Ratio"/> is the median of each run's
/// (rows_per_s / raw_rows_per_s). <see cref="InsertSeconds"/>: how long the application's inserts on A took while
/// A's agent captured.
/// </summary>
internal sealed record SyncReport(
    string Scenario,
    int Rows,
    double Seconds,
    double RowsPerS,
    double RawRowsPerS,
    double Ratio,
    int Runs,
    double InsertSeconds);
