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
/// (<see cref="RetiredOrigins"/>), sent like its own earlier incarnations.</remarks>
internal sealed class Outbound(SyncEndpoint local, string peer, AgentRole peerRole, int? peerProtocol = null, IReadOnlySet<string>? reclaim = null)
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
        var vector = local.Db.Vector;
        var extractFrom = DirectionFilter.ExcludeOtherClusters(
            DirectionFilter.ExcludeOwnCluster(peerVector, vector, peer, local.Role, peerRole), vector, local.Site, local.Role, peerRole);
        Func<string, bool>? tables = local.DirectionOf is { } directionOf ? t => DirectionFilter.Allows(directionOf(t), local.Role, peerRole) : null;
        bool first = true;
        foreach (var batch in local.Db.GetChanges(extractFrom, tables, cancellationToken))
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
        // they wrote (design.md §6b, "Table directions"). The
        // vector is read again: the extraction above sealed this replica's pending writes (and may have continued it as a
        // new incarnation), and an origin the lineage vector leaves behind would travel in the lineage batches.
        if (DirectionFilter.OwnLineage(peerVector, local.Db.Vector, peer, local.Role, peerRole, reclaim) is { } lineage)
        {
            using var batches = local.Db.GetChanges(lineage, null, cancellationToken).GetEnumerator();
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
                if (!DirectionFilter.IsOwnLineage(batch, peer, reclaim))
                {
                    // Changes made here meanwhile (a seal, an apply) joined it. Filtered by direction, it would move the
                    // peer's vector past the lineage's rows of tables kept from factories; unfiltered, it would send
                    // them this replica's own. The lineage follows in the next round.
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
