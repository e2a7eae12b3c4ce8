using EdgeSync.Agent.Diagnostics;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The local side of an exchange as <see cref="Outbound"/> and <see cref="Inbound"/> see it: the database, its role and
/// table directions, where to count and whom to tell. An agent builds one per hosted database
/// (<see cref="Hosting.HostedDatabase.Endpoint"/>); the CLI and the simulations build a bare one around a
/// <see cref="SyncDatabase"/>, with no direction rules (every table flows), no metrics and no signal.
/// </summary>
internal sealed record SyncEndpoint(SyncDatabase Db)
{
    /// <summary>This replica's role; <see cref="AgentRole.Peer"/> (the default) has no cluster rules.</summary>
    public AgentRole Role { get; init; } = AgentRole.Peer;

    /// <summary>The direction of a table, or null when every table flows both ways (no direction filter).</summary>
    public Func<string, SyncDirection>? DirectionOf { get; init; }

    /// <summary>Where batches, rows and bytes are counted; null: not counted.</summary>
    public AgentMetrics? Metrics { get; init; }

    /// <summary>The tags of what is counted (database, site, peer); null: untagged.</summary>
    public PeerBoard? Board { get; init; }

    /// <summary>Notified when an inbound batch changed this replica; null: nobody listens.</summary>
    public ChangeSignal? Changed { get; init; }

    /// <summary>
    /// Told when a hub applied a batch from a factory that carried only its own earlier incarnations' changes (its files
    /// were put back; <see cref="DirectionFilter.OwnLineage"/>): the sender, the batch as sent and what applying it did.
    /// The agent logs and counts it (a widened trust: docs/security.md); null: nobody listens.
    /// </summary>
    public Action<string, ChangeBatch, Apply.ApplyResult>? Reclaimed { get; init; }

    /// <summary>
    /// Told when a hub issued again rows of a table it re-offered (<see cref="DirectionHistory.Complete"/>): the peer
    /// whose exchange it was and the rows. The agent logs it; null: nobody listens.
    /// </summary>
    public Action<string, int>? Reoffered { get; init; }

    /// <summary>The bounds a received batch is decoded under.</summary>
    public BatchLimits Limits { get; init; } = BatchLimits.Default;

    /// <summary>The highest protocol this endpoint speaks (<see cref="AgentOptions.ProtocolVersion"/>): batches it sends are encoded at most at it, and batches in a newer encoding are refused.</summary>
    public int ProtocolVersion { get; init; } = BatchCodec.ProtocolVersion;

    public string Site => Db.SiteId;

    /// <summary>The tags of measurements about <paramref name="peer"/>.</summary>
    internal KeyValuePair<string, object?>[] TagsFor(string peer) => Board?.TagsFor(peer) ?? [new("peer", peer)];

    /// <summary>The batch without the tables that may not flow from <paramref name="from"/> to <paramref name="to"/>.</summary>
    internal ChangeBatch Filter(ChangeBatch batch, AgentRole from, AgentRole to, out int withheld)
    {
        if (DirectionOf is null)
        {
            withheld = 0;
            return batch;
        }

        return DirectionFilter.Filter(batch, DirectionOf, from, to, out withheld);
    }
}
