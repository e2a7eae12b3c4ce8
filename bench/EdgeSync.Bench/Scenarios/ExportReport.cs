namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the export scenario: rows per second from the application's inserts on the hub until JetStream
/// acknowledged them in the R3 stream (the hub's export cursor covers them), against raw SQLite inserts of the same
/// rows in the same run; medians over <see cref="Runs"/>.
/// </summary>
internal sealed record ExportReport(
    string Scenario,
    int Rows,
    int Runs,
    int Replicas,
    int MaxMessageRows,
    double RawInsertRowsPerS,
    double ExportRowsPerS,
    double Ratio,
    double TargetRowsPerS);
