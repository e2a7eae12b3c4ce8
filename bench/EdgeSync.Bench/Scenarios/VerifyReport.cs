namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the verify scenario, medians over <see cref="Runs"/> runs. Each comparison is <c>edgesync verify A --peer
/// URL</c>'s path: A's digest in this process, B's over the <c>Digest</c> gRPC call of an agent serving it, then the
/// differing buckets' rows from both. <see cref="RawScanSeconds"/> is the baseline: reading every column of every row
/// of both files with plain SQLite (Microsoft.Data.Sqlite, no hashing), so the ratios say what the hashing and the
/// exchange add to the reads a comparison cannot avoid.
/// </summary>
internal sealed record VerifyReport(
    string Scenario,
    long TableRows,
    int BucketCount,
    int Runs,
    double AgreeSeconds,
    long AgreeBytes,
    double DifferSeconds,
    long DifferBytes,
    int DifferingRowsFound,
    double RawScanSeconds,
    double AgreeRatioToRawScan,
    double DifferRatioToRawScan,
    double BuildSeconds);
