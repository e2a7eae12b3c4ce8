namespace EdgeSync.Schema;

/// <summary>How inserts into a table are found. Chosen by EdgeSync from the table's shape.</summary>
public enum CaptureMode
{
    /// <summary>
    /// The table's primary key is an <c>INTEGER PRIMARY KEY</c> (the rowid): new rows are found by scanning past a
    /// watermark, with no per-row trigger work on insert. For <c>lww</c> tables a trigger still logs inserts at or
    /// below the watermark (re-inserts, <c>INSERT OR REPLACE</c>).
    /// </summary>
    RowidScan,

    /// <summary>Every insert is logged by a trigger (any other primary key, or WITHOUT ROWID tables).</summary>
    Trigger,
}
