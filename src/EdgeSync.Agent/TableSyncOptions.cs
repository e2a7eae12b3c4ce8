using EdgeSync.Schema;

namespace EdgeSync.Agent;

/// <summary>How one table is synced: its merge policy (set when sync is enabled on it) and the direction its changes flow.</summary>
public sealed record TableSyncOptions
{
    /// <summary><c>append</c> (immutable rows) or <c>lww</c> (last writer wins per column). Default <c>lww</c>.</summary>
    public TablePolicy Policy { get; init; } = TablePolicy.Lww;

    /// <summary>Which way changes of this table flow between a hub and its factories. Default <see cref="SyncDirection.Both"/>.</summary>
    public SyncDirection Direction { get; init; } = SyncDirection.Both;
}
