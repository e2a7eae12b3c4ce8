namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the growth scenario, medians over <see cref="Runs"/> rounds. <see cref="MedianMs"/> is one round that
/// ships the changed rows: capture on A, extraction for B's vector, encode, decode, apply on B; the stages are also
/// given alone. <see cref="BuildSeconds"/> and <see cref="InitialSyncSeconds"/> are the untimed setup (once).
/// </summary>
internal sealed record GrowthReport(
    string Scenario,
    long TableRows,
    int ChangedRows,
    double MedianMs,
    int Runs,
    double CaptureMs,
    double ExtractMs,
    double CodecMs,
    double ApplyMs,
    double MaxMs,
    double BuildSeconds,
    double InitialSyncSeconds);
