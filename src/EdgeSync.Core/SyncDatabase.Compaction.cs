using EdgeSync.Compaction;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>
    /// How much sync metadata this replica holds (change-log entries, tombstones, bytes), from a read snapshot: writers
    /// are not blocked. Reads the whole change log and row metadata once, so call it at the pace of compaction, not per
    /// scrape.
    /// </summary>
    public MetadataSize MeasureMetadata()
    {
        ThrowIfDisposed();
        using var connection = OpenReader();
        var (log, tombstones, bytes) = Storage.CompactionRecords.Measure(connection);
        return new MetadataSize(log, tombstones, bytes);
    }
}
