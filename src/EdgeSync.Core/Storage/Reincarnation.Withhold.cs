using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;

namespace EdgeSync.Storage;

/// <summary>What a replica whose clock was set right no longer claims: disclaimed events and withheld clocks.</summary>
internal static partial class Reincarnation
{
    /// <summary>
    /// The clock a cell keeps when this replica may not originate its change and the change is disclaimed
    /// (docs/design.md §6b, rule 5): the value stays, the clock keeps the event's origin and sequence but orders below
    /// every real write (its HLC is zero; <see cref="CellClock.PrevHlc"/> and <see cref="CellClock.PrevSite"/> name the
    /// original), so whatever the origin's side sends for that cell wins here — its re-stamp, which orders below the
    /// original, or the original itself once it is within the clock tolerance. A clock already withheld stays as it is.
    /// Nothing in the future is kept, so nothing in the future is relayed.
    /// </summary>
    internal static CellClock Withheld(CellClock original) =>
        original.Hlc == Hlc.Zero ? original : new CellClock(Hlc.Zero, original.Site, original.Seq, original.Hlc, original.Site);

    /// <summary>
    /// The rows of an insert range this replica may not originate, received from <paramref name="first"/>'s origin:
    /// each row the range still speaks for (in the table, no metadata of its own, the range the nearest one covering
    /// it) gets metadata of its own with <see cref="Withheld"/> clocks, before <see cref="Disclaim"/> drops the range.
    /// </summary>
    private static void WithholdRange(SyncStore store, TableStore t, CellClock first, long lo, long span, CancellationToken cancellationToken)
    {
        var rowids = new List<long>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = $"SELECT rowid FROM {t.QuotedName} WHERE rowid >= $a AND rowid < $b ORDER BY rowid";
            cmd.Parameters.AddWithValue("$a", lo);
            cmd.Parameters.AddWithValue("$b", lo + span);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                rowids.Add(r.GetInt64(0));
            }
        }

        int done = 0;
        foreach (long rowid in rowids)
        {
            if (++done % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            object?[] key = [rowid];
            object stored = t.StoredKey(key);
            if (t.HasMeta(stored) || t.RangeClock(rowid) is not { } clock || !clock.SameEvent(first with { Seq = first.Seq + (rowid - lo) })
                || t.SelectRow(key) is not { } values)
            {
                continue;
            }

            var clocks = new CellClock[t.ColumnCount];
            Array.Fill(clocks, Withheld(clock));
            t.PutMeta(stored, RowState.Alive(1, values, clocks));
        }
    }

    /// <summary>
    /// This replica no longer holds the events of <paramref name="site"/> from <paramref name="first"/> (its first
    /// one in the future) on; the caller re-stamped (or withheld) every clock of them its rows held. Their log entries go, and the
    /// vector (and compaction floor) come back below them. The re-stamps that replaced them order below them, so if any replica
    /// still holds one of them (its clock still ahead), it must come back here and win as it does everywhere: claimed
    /// as held, it would be skipped as known, and the replicas would differ for good.
    /// </summary>
    private static void Disclaim(SyncStore store, int site, long first)
    {
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_log WHERE site = $s AND seq >= $q", ("$s", (long)site), ("$q", first));
        if (store.Vector.TryGetValue(site, out long held) && held >= first)
        {
            // Every event up to `held` is still reflected in this replica's row states (re-stamped or withheld, values and
            // causal lengths kept): announced to peers, so one that compacted them takes this replica's batches (design §6).
            DisclaimRecords.Record(store, site, first, held);
            store.Vector[site] = first - 1;
        }

        if (store.Floor.TryGetValue(site, out long floor) && floor >= first)
        {
            store.Floor[site] = first - 1;
            CompactionRecords.SetFloor(store, site, first - 1);
        }
    }
}
