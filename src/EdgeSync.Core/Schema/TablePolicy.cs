namespace EdgeSync.Schema;

/// <summary>How a synced table's rows may change and how concurrent writes are merged.</summary>
public enum TablePolicy
{
    /// <summary>
    /// Immutable rows (telemetry): INSERT only; UPDATE and DELETE fail with an error naming the table. With an
    /// INTEGER PRIMARY KEY, new rows are captured by scanning past a rowid watermark (no per-row log writes).
    /// </summary>
    Append,

    /// <summary>Last-writer-wins per column by (HLC, site id); deletes leave tombstones.</summary>
    Lww,
}
