namespace EdgeSync.Compaction;

/// <summary>
/// How long an <c>append</c> table keeps rows: rows older than <see cref="MaxAge"/> and, beyond
/// <see cref="MaxRows"/>, the oldest rows may be deleted — but only once the level the caller judges safe holds them
/// (see <see cref="SyncDatabase.Prune"/>). A row's age is its capture time at its origin (the physical part of its HLC),
/// the same on every replica, so replicas prune the same rows; the oldest rows are those with the oldest clocks.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>Rows captured longer ago than this may be pruned; null: no age limit.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Keep at most about this many rows (older ones first); null: no row limit.</summary>
    public long? MaxRows { get; init; }
}
