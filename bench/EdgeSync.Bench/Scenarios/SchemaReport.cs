namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the schema scenario (medians over <see cref="Runs"/>). ADD COLUMN on a synced table of
/// <see cref="TableRows"/> rows: the sync metadata it added (<see cref="AddColumnMetadataBytes"/>: bytes of EdgeSync's
/// own tables' contents after the capture that took it, minus before; rows of <c>_edgesync_rows</c> and
/// <c>_edgesync_log</c> added) and the seconds from the application's commit of the first new-column value until the peer
/// holds it (capture, extract, encode, decode, apply). A rebuild migration of <see cref="RebuildRows"/> rows (new table,
/// copy, drop, rename, in one transaction): seconds until capture works again (the capture that takes the rebuild) and
/// the row changes the next round sends (none changed content). Measured on A, whose rows were inserted in order (insert
/// ranges, no per-row metadata), and on B, which applied every row from A (per-row metadata: its rebuild scan reads
/// every row and compares each column with its recorded fingerprint, <see cref="RebuildKeyedResumeSeconds"/>).
/// </summary>
internal sealed record SchemaReport(
    string Scenario,
    long TableRows,
    int Runs,
    long AddColumnMetadataBytes,
    long AddColumnMetadataRows,
    double AddColumnFirstValueSeconds,
    long RebuildRows,
    double RebuildResumeSeconds,
    long RebuildRowsResent,
    double RebuildKeyedResumeSeconds,
    long RebuildKeyedRowsResent,
    double RebuildAppSeconds,
    double BuildSeconds);
