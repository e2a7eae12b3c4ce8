using EdgeSync.Clocks;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The one sending path, whoever carries the bytes (a gRPC pull reply or push, the CLI's file sync, a simulated
/// network): extract every change <paramref name="peer"/> lacks past its vector, batch by batch, without what the
/// table directions and cluster rules keep from it (<see cref="DirectionFilter"/>), encode, hand each batch to the
/// caller's writer and count it once written. SQLite is synchronous: batches are extracted on the calling thread,
/// one at a time, so an awaited writer (HTTP/2 flow control) paces extraction. Extraction captures first; when that
/// sealed local writes the capture loop had not yet sealed, the endpoint's <see cref="SyncEndpoint.Changed"/> signal is
/// raised as the capture loop would have, so they are announced to the other peers now, not at the next full list.
/// </summary>
/// <remarks><paramref name="peerProtocol"/>: the protocol the peer speaks, when known; batches are encoded in the lower of it and the endpoint's.
/// <paramref name="reclaim"/>: for a hub serving a factory's pull, the origins of the factory's own cluster it asked back
/// (<see cref="RetiredOrigins"/>), sent like its own earlier incarnations. A factory sending to a hub also sends the hub's
/// own earlier incarnations' changes the hub lacks (<see cref="DirectionFilter.OwnLineage"/>).</remarks>
/// <paramref name="peerDisclaimed"/>: what the peer announced it disclaimed (<see cref="SyncDatabase.Disclaimed"/>), so
/// that where it is below this replica's compaction floor only by those events it gets their originals back.
internal sealed class Outbound(
    SyncEndpoint local, string peer, AgentRole peerRole, int? peerProtocol = null, IReadOnlySet<string>? reclaim = null,
    IReadOnlyList<OriginRange>? peerDisclaimed = null)
{
    private readonly int _protocol = Math.Min(local.ProtocolVersion, peerProtocol ?? local.ProtocolVersion);

    /// <summary>Rows handed to the writer so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Sends through an asynchronous writer; returns the rows sent.</summary>
    public async Task<long> SendAsync(VersionVector peerVector, Func<OutboundBatch, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        foreach (var batch in Extract(peerVector, cancellationToken))
        {
            await write(batch, cancellationToken).ConfigureAwait(false);
            Sent(batch);
        }

        return Rows;
    }

    /// <summary>Sends through a synchronous writer (in-process exchanges); returns the rows sent.</summary>
    public long Send(VersionVector peerVector, Action<OutboundBatch> write, CancellationToken cancellationToken)
    {
        foreach (var batch in Extract(peerVector, cancellationToken))
        {
            write(batch);
            Sent(batch);
        }

        return Rows;
    }

    private IEnumerable<OutboundBatch> Extract(VersionVector peerVector, CancellationToken cancellationToken)
    {
        // Before anything is sent: a factory's first report after a re-offer is what its vector passed while the table
        // was withheld from it, and what the hub got back since is issued again now, so this extraction carries it.
        DirectionHistory.Complete(local, peer, peerRole, peerVector, cancellationToken);
        var vector = local.Db.Vector;
        var extractFrom = DirectionFilter.ExcludeOtherClusters(
            DirectionFilter.ExcludeOwnCluster(peerVector, vector, peer, local.Role, peerRole), vector, local.Site, local.Role, peerRole);
        Func<string, bool>? tables = local.DirectionOf is { } directionOf ? t => DirectionFilter.Allows(directionOf(t), local.Role, peerRole) : null;
        bool first = true;
        foreach (var batch in local.Db.GetChangesFor(extractFrom, peerDisclaimed ?? [], tables, cancellationToken))
        {
            if (first)
            {
                first = false;
                AnnounceIfSealed(vector);
            }

            var filtered = local.Filter(batch, local.Role, peerRole, out int withheld);
            if (withheld > 0)
            {
                local.Metrics?.ChangesWithheld(withheld, local.TagsFor(peer));
            }

            yield return new OutboundBatch(BatchCodec.Encode(filtered, _protocol), filtered.RowCount);
        }

        if (first)
        {
            AnnounceIfSealed(vector);
        }

        // A restored factory's earlier incarnations, and its siblings' it asked back: nobody but the hub may hold what
        // they wrote (design.md §6b, "Table directions"). The other way round, a hub's earlier incarnations: after its
        // files were put back, its factories may be the only ones holding what it wrote after the copy. The
        // vector is read again: the extraction above sealed this replica's pending writes (and may have continued it as a
        // new incarnation), and an origin the lineage vector leaves behind would travel in the lineage batches.
        bool toHub = local.Role == AgentRole.Factory && peerRole == AgentRole.Hub;
        var asked = toHub ? null : reclaim;
        if (DirectionFilter.OwnLineage(peerVector, local.Db.Vector, peer, local.Role, peerRole, asked) is { } lineage)
        {
            using var batches = local.Db.GetChangesFor(lineage, peerDisclaimed ?? [], null, cancellationToken).GetEnumerator();
            bool more;
            try
            {
                more = batches.MoveNext();
            }
            catch (Errors.SyncStateException e) when (e.Code == Errors.ErrorCode.ResyncRequired)
            {
                more = false; // compacted past what the restored replica holds: it must be re-seeded; the rest still syncs
            }

            while (more)
            {
                var batch = batches.Current;
                if (!DirectionFilter.IsOwnLineage(batch, peer, asked))
                {
                    // Changes made here meanwhile (a seal, an apply) joined it. Filtered by direction, it would move the
                    // peer's vector past the lineage's rows of tables kept from factories; unfiltered, it would send
                    // them this replica's own. The lineage follows in the next round.
                    yield break;
                }

                if (toHub && DirectionFilter.CarriesOthersChanges(batch, peerVector, local.Site, peer))
                {
                    // A row also carries another factory's change the hub lost with its files: the hub's origin rule
                    // would refuse the batch. That factory sends it again; the lineage follows in a later round.
                    yield break;
                }

                yield return new OutboundBatch(BatchCodec.Encode(batch, _protocol), batch.RowCount);
                more = batches.MoveNext();
            }
        }
    }

    /// <summary>
    /// Raises <see cref="SyncEndpoint.Changed"/> when the extraction's capture sealed local writes (this site's sequence
    /// rose past <paramref name="before"/>): the capture loop, finding them sealed, will not.
    /// </summary>
    private void AnnounceIfSealed(VersionVector before)
    {
        if (local.Changed is { } changed && local.Db.Vector[local.Site] > before[local.Site])
        {
            changed.Notify();
        }
    }

    private void Sent(OutboundBatch batch)
    {
        Rows += batch.Rows;
        local.Metrics?.BatchSent(batch.Rows, batch.Payload.Length, local.TagsFor(peer));
    }
}
