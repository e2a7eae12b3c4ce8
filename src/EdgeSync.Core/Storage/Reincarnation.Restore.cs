using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;

namespace EdgeSync.Storage;

/// <summary>
/// Withheld clocks given back their original once it is no longer in the future (docs/design.md §6b, rule 5): the value
/// a replica withheld is the original event's own, so once a peer with a right clock accepts that event's clock, this
/// replica holds the event again, under its origin's identity, and relays it like any event it received.
/// </summary>
internal static partial class Reincarnation
{
    /// <summary>Key in <c>_edgesync_meta</c>: the earliest original HLC among the clocks withheld here (absent: none).</summary>
    private const string WithheldDueKey = "withheld_due";

    /// <summary>
    /// True when a withheld clock here may be due for <see cref="RestoreWithheld"/>: its original is within
    /// <paramref name="maxDrift"/> of the wall clock. Reads <c>_edgesync_meta</c> once per store; a hint (a rolled-back
    /// withhold may leave it early, which costs one scan that finds nothing), never late.
    /// </summary>
    public static bool WithheldDue(SyncStore store, TimeSpan maxDrift)
    {
        store.WithheldDue ??= Sql.Scalar(store.Db, "SELECT value FROM _edgesync_meta WHERE key = $k", ("$k", WithheldDueKey)) as long? ?? long.MaxValue;
        return store.WithheldDue.Value <= Accepted(store, maxDrift).Value;
    }

    /// <summary>Records that a clock whose original is <paramref name="original"/> was withheld (in the caller's transaction).</summary>
    private static void NoteWithheld(SyncStore store, long original)
    {
        Sql.Scalar(store.Db, "INSERT INTO _edgesync_meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = min(value, excluded.value)",
            ("$k", WithheldDueKey), ("$v", original));
        store.WithheldDue = Math.Min(store.WithheldDue ?? long.MaxValue, original);
    }

    /// <summary>
    /// Gives every withheld clock here whose original is no longer in the future (within <paramref name="maxDrift"/> of
    /// the wall clock, so a peer with a right clock accepts it) its original back: the event's HLC, origin and sequence
    /// (its <c>prev</c> is not known any more: left empty, so the conflict audit counts the event as having seen nothing),
    /// with a log entry under its origin when every cell of the row is the event's or newer (a cell written meanwhile
    /// below the original means the origin's side must still send it), and raises the vector for that origin over the
    /// events it now holds in a row (<see cref="RaiseOverLogged"/>). Runs in the caller's write transaction; the caller sets
    /// <see cref="SyncStore.WithheldDue"/> from the result once it commits. Returns how many events came back, and the
    /// earliest original still withheld (<see cref="long.MaxValue"/>: none).
    /// <para>
    /// Why: a withheld event is disclaimed, so that its origin's side sends its own version back. When that side lost it
    /// before anyone else had it (a factory replica's volume replaced, its files put back, while the hub, its clock far
    /// behind, withheld the factory's <c>up</c> reading), this replica held the only copy, at a clock below every write
    /// and with no log entry, and the origin never got its own write back (issue 15, topology seeds 546 and 2032). The
    /// original is not this replica's write, so the rule of who may originate a change (<c>MayOriginate</c>) still
    /// holds; and a clock no longer in the future is one a replica may relay (rule 2).
    /// </para>
    /// </summary>
    public static (int Restored, long Due) RestoreWithheld(SyncStore store, TimeSpan maxDrift, CancellationToken cancellationToken)
    {
        var accepted = Accepted(store, maxDrift);
        long due = long.MaxValue;
        int restored = 0;
        var sites = new HashSet<int>();
        using var log = Sql.Prepare(store.Db,
            "INSERT OR IGNORE INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, 0, $h)", "$s", "$q", "$t", "$pk", "$h");
        int read = 0;
        foreach (var (tid, pk, cl, clocks) in RowClocks(store).ToList())
        {
            if (++read % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var events = new List<CellClock>();
            for (int i = 0; i < clocks.Length; i++)
            {
                var c = clocks[i];
                if (!IsWithheld(c))
                {
                    continue;
                }

                if (c.PrevHlc > accepted)
                {
                    due = Math.Min(due, c.PrevHlc.Value);
                    continue;
                }

                clocks[i] = new CellClock(c.PrevHlc, c.Site, c.Seq, default, "");
                store.Clock.Observe(c.PrevHlc); // a write here after it must beat it
                if (!events.Any(e => e.SameEvent(c)))
                {
                    events.Add(clocks[i]);
                }
            }

            foreach (var original in events)
            {
                restored++;
                int site = store.SiteIndexOf(original.Site);

                // Held again only when every cell of the row is the event's or newer: a cell written since the withhold
                // below the original (this replica's own write, stamped while its clock was behind, or a re-stamp of
                // one) lost to it everywhere else, so the origin's side must send it back here.
                if (site != store.SiteIndex && original.Seq > store.Seen(site) && clocks.All(x => x.SameEvent(original) || x > original))
                {
                    log.Set(0, (long)site);
                    log.Set(1, original.Seq);
                    log.Set(2, (long)tid);
                    log.Set(3, pk);
                    log.Set(4, original.Hlc.Value);
                    log.ExecuteNonQuery();
                    sites.Add(site);
                }
            }

            if (events.Count > 0)
            {
                var state = cl % 2 == 0 ? RowState.Deleted(cl, clocks[0]) : RowState.Alive(cl, new object?[clocks.Length], clocks);
                store.Table(tid).PutClocks(pk, state);
            }
        }

        foreach (int site in sites)
        {
            RaiseOverLogged(store, site);
        }

        if (due == long.MaxValue)
        {
            Sql.Scalar(store.Db, "DELETE FROM _edgesync_meta WHERE key = $k", ("$k", WithheldDueKey));
        }
        else
        {
            Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ($k, $v)", ("$k", WithheldDueKey), ("$v", due));
        }

        return (restored, due);
    }

    /// <summary>A clock withheld by <see cref="Withheld"/>: HLC zero, <c>prev</c> naming the original of the same origin.</summary>
    internal static bool IsWithheld(CellClock c) =>
        c.Hlc == Hlc.Zero && c.Seq > 0 && c.PrevHlc != Hlc.Zero && string.Equals(c.PrevSite, c.Site, StringComparison.Ordinal);

    /// <summary>
    /// Raises the vector for <paramref name="site"/> over the events past it that the log names without a gap: each log
    /// entry is an event this replica holds (its row, or a newer state of it), and a withheld event given back is logged
    /// above the vector its disclaim lowered. A gap (an event re-stamped here, or one this replica never had) stops it:
    /// that event comes from whoever holds it, as before.
    /// </summary>
    private static void RaiseOverLogged(SyncStore store, int site)
    {
        long held = store.Seen(site);
        long reached = held;
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, max(span, 1) FROM _edgesync_log WHERE site = $s AND seq + max(span, 1) - 1 > $v ORDER BY seq";
            cmd.Parameters.AddWithValue("$s", (long)site);
            cmd.Parameters.AddWithValue("$v", held);
            using var r = cmd.ExecuteReader();
            while (r.Read() && r.GetInt64(0) <= reached + 1)
            {
                reached = Math.Max(reached, r.GetInt64(0) + r.GetInt64(1) - 1);
            }
        }

        if (reached > held)
        {
            store.Vector[site] = reached;
        }
    }

    /// <summary>The newest clock a peer with a right clock accepts: <paramref name="maxDrift"/> past the wall clock.</summary>
    private static Hlc Accepted(SyncStore store, TimeSpan maxDrift) =>
        Hlc.From(store.Clock.WallMilliseconds + (long)maxDrift.TotalMilliseconds, Hlc.MaxCounter);
}
