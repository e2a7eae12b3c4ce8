using EdgeSync.Apply;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The one receiving path for a stream of batches from <paramref name="peer"/>, whoever carries the bytes: decode under
/// the endpoint's limits, drop the tables whose direction keeps them from this replica (a factory refuses such a batch
/// from a hub instead: the two directions differ), authorize (a hub checks a
/// factory's batch as sent, under the writer lock), apply atomically, count, and signal when the replica changed.
/// Every batch is its own transaction, so a cut stream loses at most the batch in flight.
/// <paramref name="reclaim"/>: the origins of its own cluster a factory asked its hub back (<see cref="RetiredOrigins"/>).
/// </summary>
internal sealed class Inbound(
    SyncEndpoint local, string peer, AgentRole peerRole, Action<ChangeBatch>? authorize = null, VersionVector? peerVector = null,
    IReadOnlySet<string>? reclaim = null)
{
    /// <summary>Rows received so far (after the direction filter).</summary>
    public long Rows { get; private set; }

    /// <summary>What the peer is known to hold: the vector given at the start (e.g. the handshake's), merged with every batch's sender vector.</summary>
    public VersionVector PeerVector { get; private set; } = peerVector ?? VersionVector.Empty;

    /// <summary>
    /// Decodes, filters, authorizes and applies one encoded batch. Throws with nothing of it applied; cancelling stops
    /// the wait for the write lock.
    /// </summary>
    public ApplyResult Receive(ReadOnlySpan<byte> payload, CancellationToken cancellationToken = default)
    {
        var metrics = local.Metrics;
        var tags = local.TagsFor(peer);
        metrics?.BatchReceived(payload.Length, tags);

        if (BatchCodec.ProtocolOf(payload) > local.ProtocolVersion)
        {
            throw new InvalidBatchException(
                $"batch from '{peer}' is encoded in protocol {BatchCodec.ProtocolOf(payload)}, but this agent speaks at most {local.ProtocolVersion} (EdgeSync:ProtocolVersion)");
        }

        var batch = BatchCodec.Decode(payload, local.Limits);
        int withheld = 0;
        bool hubLineage = local.Role == AgentRole.Hub && peerRole != AgentRole.Hub && DirectionFilter.IsOwnLineage(batch, local.Site);
        var filtered = (peerRole == AgentRole.Hub && DirectionFilter.IsOwnLineage(batch, local.Site, reclaim)) || hubLineage
            ? batch // this replica's own earlier incarnation's writes (or a sibling's it asked back), coming back after a restore
            : local.Filter(batch, peerRole, local.Role, out withheld);
        if (withheld > 0 && peerRole == AgentRole.Hub && local.Role == AgentRole.Factory)
        {
            throw DirectionsDiffer(batch, withheld);
        }

        if (withheld > 0)
        {
            metrics?.ChangesWithheld(withheld, tags);
        }

        var result = local.Db.Apply(filtered, peer, authorize is null ? null : _ => authorize(batch), cancellationToken);
        metrics?.ChangesReceived(filtered.RowCount, tags);
        // A hub: the sender's vector registers (its first report after a re-offer), and what the batch brought back that a
        // factory's vector passed while the table was withheld is issued again.
        DirectionHistory.Complete(local, peer, peerRole, batch.SenderVector, cancellationToken);

        if (hubLineage)
        {
            local.Reclaimed?.Invoke(peer, batch, result); // the hub took back its earlier incarnations' changes from a factory
        }

        Rows += filtered.RowCount;
        PeerVector = PeerVector.Merge(batch.SenderVector);
        if (result.Applied > 0)
        {
            local.Changed?.Notify();
        }

        return result;
    }

    /// <summary>
    /// A hub filters what it sends a factory by its own directions, so a table this factory's directions keep from it
    /// arrives only when the two configurations differ: a direction change (<c>up</c> → <c>both</c>) that reached the hub
    /// first. Withholding the table would move this replica's vector past those rows, and the hub would never send them
    /// again, not even after this factory's configuration caught up. So nothing is applied, loudly, until it does.
    /// </summary>
    private InvalidBatchException DirectionsDiffer(ChangeBatch batch, int withheld)
    {
        var tables = batch.Tables.Where(t => t.RowCount > 0 && !DirectionFilter.Allows(local.DirectionOf!(t.Table), AgentRole.Hub, AgentRole.Factory))
            .Select(t => $"'{t.Table}' ({local.DirectionOf!(t.Table).ToString().ToLowerInvariant()} here)");
        return new InvalidBatchException(
            $"batch from hub '{peer}' carries {withheld} row(s) of {string.Join(", ", tables)}, which this factory's direction keeps from it, "
            + "so the hub's direction differs; nothing applied. Give EdgeSync:Tables:<table>:Direction the same value on the hub and its factories "
            + "(a direction change must reach the factories too)");
    }
}
