namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the capture scenario. Rates and seal times are medians over <see cref="Runs"/> interleaved rounds;
/// ratios are the median of each round's variant rate divided by the same round's raw rate.
/// </summary>
internal sealed record CaptureReport(
    string Scenario,
    int Rows,
    int Runs,
    double RawRowsPerS,
    double AppendRowsPerS,
    double LwwRowsPerS,
    double AppendRatio,
    double LwwRatio,
    double AppendSealMs,
    double LwwSealMs,
    long AppendInsertTriggers,
    long LwwInsertTriggers);
