namespace EdgeSync.Compaction;

/// <summary>What one compaction pass removed.</summary>
/// <param name="LogEntries">Change-log entries removed.</param>
/// <param name="Tombstones">Tombstones removed.</param>
public readonly record struct CompactionResult(int LogEntries, int Tombstones);
