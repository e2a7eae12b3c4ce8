namespace EdgeSync.Compaction;

/// <summary>
/// One pruning batch: <see cref="Rows"/> deleted, and whether the batch stopped at its size limit
/// (<see cref="More"/>: call again for the rest).
/// </summary>
public readonly record struct PruneResult(int Rows, bool More);
