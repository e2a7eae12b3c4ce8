namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the ack scenario: ingest latency at a paced rate for each acknowledgement level, medians over
/// <see cref="Runs"/> runs of each run's p50 and p99, next to the same rows inserted into a plain SQLite file at the
/// same pace (the raw baseline: its transaction's latency).
/// </summary>
internal sealed record AckReport(
    string Scenario,
    int Seconds,
    int Runs,
    int RowsPerSecond,
    int RowsPerRequest,
    double RawP50Ms,
    double RawP99Ms,
    IReadOnlyList<AckLevelResult> Levels);

/// <summary>One level: latency from sending the request to its answer, and the requests not acknowledged (504, or 503 when capturing to wait failed).</summary>
internal sealed record AckLevelResult(string Level, double P50Ms, double P99Ms, double P50ToRaw, int TimedOut)
{
    public override string ToString() => $"{Level}: p50 {P50Ms:0.0} ms, p99 {P99Ms:0.0} ms ({P50ToRaw:0.0}x raw p50), {TimedOut} timed out";
}
