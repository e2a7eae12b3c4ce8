namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the retention scenario: the application's insert rate into an <c>append</c> table with retention pruning
/// the same table meanwhile, and without; medians over <see cref="Runs"/> interleaved rounds, the ratio the median of
/// each round's pruning rate over the same round's plain rate.
/// </summary>
internal sealed record RetentionReport(
    string Scenario,
    int Seconds,
    int Runs,
    long MaxRows,
    int BatchRows,
    double RowsPerSWithoutPruning,
    double RowsPerSWhilePruning,
    double Ratio,
    double PrunedRowsPerS);
