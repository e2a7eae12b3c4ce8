using EdgeSync.Compaction;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>
    /// How much sync metadata this replica holds (change-log entries, tombstones, bytes), from a read snapshot: writers
    /// are not blocked. Reads the whole change log and row metadata once, so call it at the pace of compaction, not per
    /// scrape. <paramref name="cancellationToken"/> interrupts the read.
    /// </summary>
    public MetadataSize MeasureMetadata(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using var connection = OpenReader();
        var (log, tombstones, bytes) = Internal.ReadInterrupt.Run(connection, () => Storage.CompactionRecords.Measure(connection), cancellationToken);
        return new MetadataSize(log, tombstones, bytes);
    }
}
