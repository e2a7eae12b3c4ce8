using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// When a peer holds more of this site's changes than this database does, the database lost changes it had issued
/// (a replaced empty volume, an old copy): its next sequence numbers would collide with ones peers already hold and
/// be skipped as known. It then continues as the site's next incarnation (<c>site~N</c>): every clock it stamped under
/// the old id is re-stamped under the new one (its writes are re-sent as new changes), the old id becomes an ordinary
/// origin it holds nothing of (so peers send back the original incarnation's changes), and local insert ranges are
/// re-issued. Runs in the caller's write transaction, after the caller sealed what was pending.
/// </summary>
internal static partial class Reincarnation
{
    /// <param name="store">The store, in the caller's write transaction.</param>
    /// <param name="oldIdx">The local index of the id to re-stamp, read before the caller sealed (a seal may itself
    /// continue under a new id when the last session was unclean: the id the clocks name is still this one).</param>
    /// <param name="oldSite">The id to re-stamp.</param>
    /// <param name="clockRanAhead">The site continues because its clock had run ahead and was set right (not because
    /// it lost changes it had issued): the file holds every event of the old id, so the old id is treated like any other
    /// origin whose events are in the future — only those, from its first one in the future on, are re-stamped and
    /// disclaimed; what it issued before stays held and logged as it was (a peer may have compacted it already).</param>
    /// <param name="mayOriginate">Whether this replica may originate a change of a table (first argument) whose clock
    /// names an origin (second): a clock it may not originate is withheld instead of re-stamped (<see cref="Withheld"/>).
    /// Null: it may originate every change (the peer topology).</param>
    /// <param name="cancellationToken">Checked between rows: re-stamping a large table is long, and a cancelled run
    /// leaves the caller to roll the whole transaction back.</param>
    public static string Run(
        SyncStore store, int oldIdx, string oldSite, bool clockRanAhead, Func<string, string, bool>? mayOriginate, CancellationToken cancellationToken)
    {
        string newSite = UnusedIncarnation(store);
        store.SwitchSite(newSite);
        var hlc = store.Clock.Next();

        // A clock that ran ahead stamped ahead too what earlier incarnations of this site wrote in this file (an
        // unclean restart, or a restored backup, continued under a new id meanwhile), and let this replica accept
        // clocks as far ahead from peers whose clocks ran ahead as well. Peers with a right clock refuse those clocks,
        // and with them every batch that carries them. Whoever stamped them, they come down to the present, and the
        // events they came with are disclaimed (see Disclaim) from the first one in the future on: an origin's clocks
        // need not grow with its sequence numbers (an incarnation's re-stamps keep their own times), so the later
        // ones that are not in the future are re-stamped too (keeping their time), and no row keeps a clock of an
        // event this replica no longer claims. Only a clock that was set back finds any: otherwise the HLC is past
        // every clock this replica holds.
        var rows = RowClocks(store).ToList();

        var future = new Dictionary<string, long>(StringComparer.Ordinal); // origin -> its first event in the future held here
        void NoteFuture(string site, long seq) => future[site] = Math.Min(seq, future.GetValueOrDefault(site, long.MaxValue));
        // Values kept aside for columns this table lacks carry clocks too, written into the row when the column is
        // added: they are re-stamped and disclaimed like the row's own cells.
        var stashed = StashStore.AllClocks(store.Db);
        foreach (var c in rows.SelectMany(row => row.Clocks).Concat(stashed.Select(e => e.Clock)).Where(c => (clockRanAhead || c.Site != oldSite) && c.Hlc > hlc))
        {
            NoteFuture(c.Site, c.Seq);
        }

        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT s.site, min(l.seq) FROM _edgesync_log l JOIN _edgesync_sites s ON s.idx = l.site "
                + "WHERE ($all OR l.site <> $s) AND l.hlc > $h GROUP BY l.site";
            cmd.Parameters.AddWithValue("$all", clockRanAhead);
            cmd.Parameters.AddWithValue("$s", oldIdx);
            cmd.Parameters.AddWithValue("$h", hlc.Value);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                NoteFuture(r.GetString(0), r.GetInt64(1));
            }
        }

        bool Restamped(CellClock c) => (!clockRanAhead && c.Site == oldSite) || (future.TryGetValue(c.Site, out long first) && c.Seq >= first);

        // A change this replica may not originate in its topology (a factory: another cluster's row, a `down` row; a hub:
        // a factory's `up` row) is not re-stamped here, where the re-stamp could not reach every replica: it is withheld
        // (see Withheld) and the origin's side sends its own version back. This site's own lost ids are always its own.
        bool Originates(int tid, string origin) =>
            mayOriginate is null || (!clockRanAhead && origin == oldSite) || mayOriginate(store.Table(tid).Info.Name, origin);

        // What is withheld is given back its original once that is no longer in the future (RestoreWithheld): the earliest
        // original withheld is noted for the check before each capture, apply and extraction.
        long withheldFrom = long.MaxValue;
        CellClock Withhold(CellClock c)
        {
            var w = Withheld(c);
            withheldFrom = Math.Min(withheldFrom, w.PrevHlc.Value);
            return w;
        }

        // Rows whose clocks name the old id or a disclaimed event: re-stamp those clocks as one new change per row.
        using var log = Sql.Prepare(store.Db,
            "INSERT OR REPLACE INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, 0, $h)", "$s", "$q", "$t", "$pk", "$h");
        void LogEvent(long seq, long tid, object pk)
        {
            log.Set(0, (long)store.SiteIndex);
            log.Set(1, seq);
            log.Set(2, tid);
            log.Set(3, pk);
            log.Set(4, hlc.Value);
            log.ExecuteNonQuery();
        }

        int read = 0;
        var rowSeq = new Dictionary<(int Tid, string Pk), long>();
        foreach (var (tid, pk, cl, clocks) in rows)
        {
            if (++read % 1024 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var t = store.Table(tid);
            int n = clocks.Length;
            if (!clocks.Any(Restamped))
            {
                continue;
            }

            long? seq = null;
            for (int i = 0; i < clocks.Length; i++)
            {
                if (!Restamped(clocks[i]))
                {
                    continue;
                }

                if (!Originates(tid, clocks[i].Site))
                {
                    clocks[i] = Withhold(clocks[i]);
                    continue;
                }

                // The value keeps its time (a newer write made elsewhere, not pulled yet, must still beat it);
                // only a clock in the future (the clock ran ahead) comes down to the present.
                seq ??= store.AllocateSeq(1);
                clocks[i] = new CellClock(clocks[i].Hlc < hlc ? clocks[i].Hlc : hlc, newSite, seq.Value, clocks[i].Hlc, clocks[i].Site);
            }

            var state = cl % 2 == 0 ? RowState.Deleted(cl, clocks[0]) : RowState.Alive(cl, new object?[n], clocks);
            t.PutClocks(pk, state);
            if (seq is { } s)
            {
                rowSeq[(tid, PkText(pk))] = s;
                LogEvent(s, tid, pk);
            }
        }

        // Stashed values: re-stamped under the row's new change, or a change of their own when no cell of the row was.
        foreach (var (tid, pk, column, clock) in stashed.Where(e => Restamped(e.Clock)))
        {
            if (!Originates(tid, clock.Site))
            {
                StashStore.SetClock(store, tid, pk, column, Withheld(clock)); // not given back: a kept-aside value waits for its origin's side
                continue;
            }

            if (!rowSeq.TryGetValue((tid, PkText(pk)), out long seq))
            {
                seq = store.AllocateSeq(1);
                rowSeq[(tid, PkText(pk))] = seq;
                LogEvent(seq, tid, pk);
            }

            StashStore.SetClock(store, tid, pk, column, new CellClock(clock.Hlc < hlc ? clock.Hlc : hlc, newSite, seq, clock.Hlc, clock.Site));
        }

        // Local insert ranges: issue them again under the new id, with fresh sequence numbers.
        var ranges = new List<(long Seq, long Tid, long Pk, long Span, long Cnt)>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, tid, pk, span, cnt FROM _edgesync_log WHERE site = $s AND span > 0 AND NOT $keep";
            cmd.Parameters.AddWithValue("$s", oldIdx);
            cmd.Parameters.AddWithValue("$keep", clockRanAhead);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                ranges.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
            }
        }

        // Insert ranges of the disclaimed events: issued again under the new id too (the rows stay), or, where this
        // replica may not originate them, their rows withheld one by one (WithholdRange).
        foreach (var (site, first) in future)
        {
            int idx = store.Sites.GetOrAdd(store.Db, site);
            var withheld = new List<(long Seq, long Tid, long Pk, long Span, long Hlc)>();
            using (var cmd = store.Db.CreateCommand())
            {
                cmd.CommandText = "SELECT seq, tid, pk, span, cnt, hlc FROM _edgesync_log WHERE site = $s AND seq >= $q AND span > 0";
                cmd.Parameters.AddWithValue("$s", (long)idx);
                cmd.Parameters.AddWithValue("$q", first);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var range = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
                    if (Originates((int)range.Item2, site))
                    {
                        ranges.Add(range);
                    }
                    else
                    {
                        withheld.Add((range.Item1, range.Item2, range.Item3, range.Item4, r.GetInt64(5)));
                    }
                }
            }

            foreach (var (seq, tid, pk, span, rangeHlc) in withheld)
            {
                withheldFrom = Math.Min(withheldFrom, rangeHlc);
                WithholdRange(store, store.Table((int)tid), new CellClock(new Hlc(rangeHlc), site, seq, default, ""), pk, span, cancellationToken);
            }

            Disclaim(store, idx, first);
        }

        foreach (var (_, tid, pk, span, cnt) in ranges)
        {
            Sql.Scalar(store.Db, "INSERT INTO _edgesync_log(site, seq, tid, pk, span, hlc, cnt) VALUES ($s, $q, $t, $pk, $n, $h, $c)",
                ("$s", (long)store.SiteIndex), ("$q", store.AllocateSeq(span)), ("$t", tid), ("$pk", pk), ("$n", span), ("$h", hlc.Value), ("$c", cnt));
        }

        if (withheldFrom != long.MaxValue)
        {
            NoteWithheld(store, withheldFrom);
        }

        // The old id is now an origin like any other, of which this database holds nothing (after a clock fix: what
        // it held before the first event in the future, disclaimed above).
        if (!clockRanAhead)
        {
            ForgetHeld(store, oldIdx);
        }

        Sql.Scalar(store.Db, "UPDATE _edgesync_meta SET value = $s WHERE key = 'site_id'", ("$s", newSite));
        Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('reincarnated_from', $p)", ("$p", oldSite));
        FaultPoints.Hit("reincarnate.run");
        return newSite;
    }

    private static void ForgetHeld(SyncStore store, int oldIdx)
    {
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_log WHERE site = $s", ("$s", (long)oldIdx));
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_vector WHERE site = $s", ("$s", (long)oldIdx));
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_floor WHERE site = $s", ("$s", (long)oldIdx));
        store.Vector.Remove(oldIdx);
        store.Floor.Remove(oldIdx);
    }

    private static string PkText(object pk) => pk is byte[] b ? Convert.ToHexString(b) : Convert.ToString(pk, System.Globalization.CultureInfo.InvariantCulture)!;

    /// <summary>
    /// Continues as a new incarnation without re-stamping anything: the database may be missing the last changes it
    /// issued under the current id (its file was put back, or lost its WAL's tail), so it issues no more numbers under
    /// it. The old id stays an origin like any other, held up to what this file has; peers holding more of it send
    /// the rest back. Runs in the caller's write transaction, before anything is sealed.
    /// </summary>
    public static string Retire(SyncStore store)
    {
        string oldSite = store.SiteId;
        string newSite = UnusedIncarnation(store);
        store.SwitchSite(newSite);
        Sql.Scalar(store.Db, "UPDATE _edgesync_meta SET value = $s WHERE key = 'site_id'", ("$s", newSite));
        Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('retired_from', $p)", ("$p", oldSite));
        FaultPoints.Hit("reincarnate.retire");
        return newSite;
    }

    private static string UnusedIncarnation(SyncStore store)
    {
        string site = SiteIncarnation.Next(store.SiteId);
        while (store.Sites.TryGetIndex(site, out _))
        {
            site = SiteIncarnation.Next(site);
        }

        return site;
    }
}
