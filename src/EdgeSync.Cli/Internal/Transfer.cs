namespace EdgeSync.Cli.Internal;

/// <summary>One direction of a local exchange: every change one database has that the other lacks, batch by batch.</summary>
internal static class Transfer
{
    /// <summary>
    /// Applies to <paramref name="to"/> each batch of <paramref name="from"/>'s changes past <paramref name="to"/>'s
    /// vector. Each batch is one transaction, so a cancelled transfer keeps what it applied and resumes from there.
    /// </summary>
    public static TransferTotals Run(SyncDatabase from, SyncDatabase to, CancellationToken cancellationToken, Action<TransferTotals>? afterBatch = null)
    {
        var totals = new TransferTotals();
        from.Capture(); // everything committed before the transfer started goes with it (waits for another writer)
        foreach (var batch in from.GetChanges(to.Vector, cancellationToken))
        {
            var result = to.Apply(batch, from.SiteId);
            totals = new TransferTotals(totals.Batches + 1, totals.Applied + result.Applied, totals.Skipped + result.Skipped,
                totals.Conflicts + result.Conflicts);
            afterBatch?.Invoke(totals);
            cancellationToken.ThrowIfCancellationRequested();
        }

        to.Status.MarkSynced(from.SiteId);
        return totals;
    }
}
