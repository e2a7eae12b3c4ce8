using EdgeSync.Agent;
using EdgeSync.Agent.Sync;

namespace EdgeSync.Cli.Internal;

/// <summary>
/// One direction of a local exchange: every change one database has that the other lacks, batch by batch, through the
/// agent's own <see cref="Outbound"/> → <see cref="Inbound"/> path (encoded and decoded as on the wire; no table
/// directions between two files).
/// </summary>
internal static class Transfer
{
    /// <summary>
    /// Applies to <paramref name="to"/> each batch of <paramref name="from"/>'s changes past <paramref name="to"/>'s
    /// vector. Each batch is one transaction, so a cancelled transfer keeps what it applied and resumes from there.
    /// </summary>
    public static TransferTotals Run(SyncDatabase from, SyncDatabase to, CancellationToken cancellationToken, Action<TransferTotals>? afterBatch = null)
    {
        var totals = new TransferTotals();
        from.Capture(cancellationToken); // everything committed before the transfer started goes with it (waits for another writer)
        var inbound = new Inbound(new SyncEndpoint(to), from.SiteId, AgentRole.Peer);
        new Outbound(new SyncEndpoint(from), to.SiteId, AgentRole.Peer, peerDisclaimed: to.Disclaimed).Send(to.Vector, batch =>
        {
            var result = inbound.Receive(batch.Payload, cancellationToken);
            totals = new TransferTotals(totals.Batches + 1, totals.Applied + result.Applied, totals.Skipped + result.Skipped,
                totals.Conflicts + result.Conflicts);
            afterBatch?.Invoke(totals);
            cancellationToken.ThrowIfCancellationRequested();
        }, cancellationToken);

        to.Status.MarkSynced(from.SiteId, cancellationToken);
        return totals;
    }
}
