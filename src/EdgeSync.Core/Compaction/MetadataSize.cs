namespace EdgeSync.Compaction;

/// <summary>How much sync metadata a replica holds: what compaction bounds.</summary>
/// <param name="LogEntries">Single-row change-log entries (insert ranges are not counted: one per capture, kept).</param>
/// <param name="Tombstones">Rows kept only as tombstones (deleted rows whose delete not every peer is known to hold, or
/// that compaction has not passed yet).</param>
/// <param name="Bytes">Payload bytes of the change log and the per-row metadata (keys and encoded clocks), without
/// SQLite's page and index overhead.</param>
public readonly record struct MetadataSize(long LogEntries, long Tombstones, long Bytes);
