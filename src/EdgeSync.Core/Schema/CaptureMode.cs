namespace EdgeSync.Schema;

/// <summary>How inserts into a table are found. Chosen by EdgeSync from the table's shape.</summary>
public enum CaptureMode
{
    /// <summary>
    /// The table's primary key is an <c>INTEGER PRIMARY KEY</c> (the rowid): new rows past a watermark are found by
    /// scanning, with no log write on insert. A trigger logs only inserts at or below the watermark (re-inserts,
    /// <c>INSERT OR REPLACE</c>, ids below rows that arrived from other sites).
    /// </summary>
    RowidScan,

    /// <summary>Every insert is logged by a trigger (any other primary key, or WITHOUT ROWID tables).</summary>
    Trigger,
}
