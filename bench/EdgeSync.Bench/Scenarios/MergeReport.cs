namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the merge scenario; times are medians over <see cref="Runs"/>. <see cref="Seconds"/> times
/// <c>SyncDatabase.Apply</c> of every batch only (<see cref="Timed"/> says so); extraction, encoding and decoding
/// are timed separately.
/// </summary>
internal sealed record MergeReport(
    string Scenario,
    int Changes,
    double Seconds,
    double ChangesPerS,
    int Runs,
    string Timed,
    int Updates,
    int Inserts,
    int Batches,
    long Bytes,
    double SealMs,
    double ExtractMs,
    double EncodeMs,
    double DecodeMs);
