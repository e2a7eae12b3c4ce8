using EdgeSync.Clocks;
using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>A clock that ran ahead and was set right: when it counts as such, and where it is set back to.</summary>
internal static partial class Reincarnation
{
    /// <summary>
    /// When this site's HLC is more than <paramref name="maxDrift"/> ahead of its wall clock, the clock had run ahead
    /// and was set right (peers refuse such clocks, so what it wrote meanwhile is stuck, and every later write would be
    /// stamped in the future too). The clock is set back to the wall clock (or the newest clock it holds that is not in
    /// the future, in its log, rows or kept-aside values), and the site continues as a new incarnation (<see cref="Run"/>): everything it wrote is re-stamped
    /// at the present, so its future-stamped writes reach peers and stop outranking later writes elsewhere. Each
    /// incarnation's clock only goes forward. This sets the clock back and returns true; the caller then seals what is
    /// pending and calls <see cref="Run"/>. False when the clock is sane.
    /// </summary>
    public static bool RewindIfClockRanAhead(SyncStore store, TimeSpan maxDrift)
    {
        long wall = store.Clock.WallMilliseconds;
        long limit = wall + (long)maxDrift.TotalMilliseconds;
        if (!ClockRanAhead(store.Clock, maxDrift))
        {
            return false;
        }

        // The newest clock this replica holds that peers accept: in its log, and in its rows and kept-aside values, whose
        // log entries compaction may have dropped. Looking in the log alone, a clock less than the tolerance ahead that
        // is no longer logged here counted as in the future and its event was disclaimed (Run); a peer that had
        // compacted the event then refused every later batch of this site as extracted before its floor (StaleBatch).
        var accepted = Hlc.From(limit, Hlc.MaxCounter);
        long newest = Sql.Scalar(store.Db, "SELECT coalesce(max(hlc), 0) FROM _edgesync_log WHERE hlc <= $l", ("$l", accepted.Value)) as long? ?? 0;
        foreach (var c in RowClocks(store).SelectMany(row => row.Clocks).Concat(StashStore.AllClocks(store.Db).Select(e => e.Clock)))
        {
            if (c.Hlc <= accepted && c.Hlc.Value > newest)
            {
                newest = c.Hlc.Value;
            }
        }

        store.Clock.Rewind(new Hlc(Math.Max(newest, Hlc.From(wall, 0).Value)));
        return true;
    }

    /// <summary>Every row's metadata here, its clocks decoded (a tombstone has one), read as the caller goes.</summary>
    private static IEnumerable<(int Tid, object Pk, long Cl, CellClock[] Clocks)> RowClocks(SyncStore store)
    {
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT tid, pk, cl, clocks FROM _edgesync_rows";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long cl = r.GetInt64(2);
            var t = store.Table((int)r.GetInt64(0));
            var decoded = ClockCodec.Decode((byte[])r.GetValue(3), cl % 2 == 0 ? 1 : t.ColumnCount, store.Sites.NameOf,
                cl % 2 == 0 ? 1 : t.Info.LegacyClockWidth);
            yield return ((int)r.GetInt64(0), r.GetValue(1), cl, decoded);
        }
    }

    /// <summary>
    /// True when the clock is more than <paramref name="maxDrift"/> plus <see cref="FixMargin"/> ahead of the wall clock.
    /// The margin keeps a small step back of the wall clock (NTP) from re-stamping everything: the HLC may legitimately
    /// be up to <paramref name="maxDrift"/> ahead, from a peer's clock that receivers accept. A clock between the two
    /// bounds is refused by peers for at most the margin, until the wall clock catches up.
    /// </summary>
    public static bool ClockRanAhead(HybridClock clock, TimeSpan maxDrift) =>
        clock.Last.Milliseconds > clock.WallMilliseconds + (long)(maxDrift + FixMargin).TotalMilliseconds;

    /// <summary>See <see cref="ClockRanAhead"/>.</summary>
    public static readonly TimeSpan FixMargin = TimeSpan.FromMinutes(1);
}
