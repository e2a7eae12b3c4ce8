using EdgeSync.Schema;

namespace EdgeSync.Agent;

/// <summary>How one table is synced: its merge policy (set when sync is enabled on it) and the direction its changes flow.</summary>
public sealed record TableSyncOptions
{
    /// <summary><c>append</c> (immutable rows) or <c>lww</c> (last writer wins per column). Default <c>lww</c>.</summary>
    public TablePolicy Policy { get; init; } = TablePolicy.Lww;

    /// <summary>Which way changes of this table flow between a hub and its factories. Default <see cref="SyncDirection.Both"/>.</summary>
    public SyncDirection Direction { get; init; } = SyncDirection.Both;

    /// <summary>
    /// The column that says which cluster owns a row (e.g. <c>cluster_id</c>), or null for none. A hub accepts a
    /// factory's change of such a table only for rows whose owner is the factory's cluster id, and never a change or
    /// delete of a row it holds with another owner. The column must exist in the table (checked at start).
    /// </summary>
    public string? OwnerColumn { get; init; }

    /// <summary>Retention of an <c>append</c> table (see <see cref="TableRetentionOptions"/>); null keeps every row.</summary>
    public TableRetentionOptions? Retention { get; init; }
}
