using EdgeSync.Clocks;
using EdgeSync.Storage;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    private int _reofferWatches = -1; // tables whose re-offer is watched (ReofferWatch); -1 until read

    /// <summary>
    /// Records the direction a host syncs <paramref name="table"/> with (an opaque label, e.g. <c>Up</c>) and returns
    /// the one recorded before (null the first time), so a host can tell when a direction changed between runs. Waits
    /// for another connection's write lock as <see cref="Apply"/> does; cancelling <paramref name="cancellationToken"/>
    /// stops the wait with nothing recorded.
    /// </summary>
    public string? RecordDirection(string table, string direction, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(direction);
        string? previous = null;
        Typed(() => WithWriter(writer => writer.InTransaction(Durability.Bookkeeping, store => previous = TableReoffer.SwapDirection(store, table, direction), cancellationToken)));
        return previous;
    }

    /// <summary>
    /// The direction last recorded for <paramref name="table"/> with <see cref="RecordDirection"/>, or null when none
    /// was. Read first and record after the re-offer it calls for, so that a re-offer that fails (a full disk, a crash)
    /// is made again at the next start instead of being forgotten with the old direction.
    /// </summary>
    public string? RecordedDirection(string table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        using var reader = OpenReader();
        return TableReoffer.RecordedDirection(reader, table);
    }

    /// <summary>
    /// Issues every row of <paramref name="table"/> (live rows and tombstones) again as a new change of this site, so
    /// every peer receives the table's current state through ordinary sync, including history that was withheld from
    /// it before (see docs/design.md, "Table directions"). Values do not change; a write made later anywhere still wins.
    /// Returns the rows issued. Costs one write transaction over the whole table.
    /// </summary>
    public int ReofferTable(string table, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table) ?? throw new Errors.SchemaException(Errors.ErrorCode.NotEnabled, table,
                $"table '{table}' is not synced here; enable it first");
            int rows = 0;
            Typed(() => rows = _store.InTransaction(store =>
            {
                EdgeSync.Capture.Sealer.Seal(store); // local writes are clocked first, so the re-offer carries them
                int issued = TableReoffer.Run(store, t);
                Internal.FaultPoints.Hit("reoffer.rows");
                ReofferWatch.Start(store, t.Info.Name, store.VectorAsVersionVector());
                return issued;
            }, cancellationToken));
            Volatile.Write(ref _reofferWatches, 1);
            return rows;
        }
    }

    /// <summary>
    /// Completes the re-offers made by <see cref="ReofferTable"/> with what this replica did not hold when it made them.
    /// A peer's vector may have passed a table's changes without their rows (a host withheld the table from it); the
    /// re-offer issues them again only if this replica holds them then, and after its files were put back it may get
    /// some back only later, from their origin, under the origin's clock, which such a peer never asks for again.
    /// <paramref name="peer"/>'s vector, <paramref name="passed"/>, is registered the first time the peer is named
    /// after a re-offer (give what it reports before anything is sent to it, restricted to the origins it can have
    /// passed without their rows); then every row of a re-offered table whose clocks name a change this replica holds
    /// now, did not hold at the re-offer, and that a registered vector passed, is issued again as a new change of this
    /// site, once (docs/design.md, "Table directions"). Call it with each report of a peer's vector, and with a null
    /// peer after changes were applied. Returns the rows issued; writes nothing when there is nothing to register or
    /// issue.
    /// </summary>
    public int ReofferPassed(string? peer, VersionVector? passed, CancellationToken cancellationToken = default)
    {
        if (!WatchesReoffers)
        {
            return 0; // no table was ever re-offered here: nothing to read, and no wait for the lock
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            if (!ReofferWatch.HasWork(_store, peer, passed))
            {
                return 0; // the common case: one read of _edgesync_meta, no write
            }

            int rows = 0;
            Typed(() => rows = _store.InTransaction(store =>
            {
                EdgeSync.Capture.Sealer.Seal(store); // local writes are clocked first, as for the re-offer itself
                return ReofferWatch.Complete(store, peer, passed);
            }, cancellationToken));
            return rows;
        }
    }

    /// <summary>
    /// True when a table re-offered here is watched (<see cref="ReofferPassed"/> may have work). False on a replica that
    /// never re-offered a table: a hub's callers then skip building a peer's vector for it, and nothing waits for this
    /// database's lock (they run before every pull from a factory and after every batch applied from one).
    /// </summary>
    public bool WatchesReoffers
    {
        get
        {
            int watches = Volatile.Read(ref _reofferWatches);
            if (watches < 0)
            {
                lock (_gate)
                {
                    ThrowIfDisposed();
                    watches = ReofferWatch.Count(_store); // read once; a watch is only ever added (ReofferTable), never removed
                    Volatile.Write(ref _reofferWatches, Math.Max(watches, Volatile.Read(ref _reofferWatches)));
                }
            }

            return watches > 0;
        }
    }

    /// <summary>A full or failing disk surfaces as <see cref="Errors.StorageException"/>, as from capture and apply
    /// (the transaction was rolled back: nothing of it is kept).</summary>
    private void Typed(Action write)
    {
        try
        {
            write();
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (Errors.StorageException.IsStorageError(e))
        {
            var storage = new Errors.StorageException(Path, e);
            _metrics.StorageError(_name, storage.Cause);
            throw storage;
        }
    }
}
