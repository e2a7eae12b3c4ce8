using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Storage;

namespace EdgeSync.Capture;

/// <summary>
/// Capture for <c>append</c> tables keyed by an INTEGER PRIMARY KEY, with no trigger on insert. The table is its own
/// log: local rows are found in the gaps between <b>remote runs</b> (rowid intervals that hold only rows applied
/// from peers, kept in <c>_edgesync_runs</c>) above the local frontier <c>wm</c> (the highest rowid sealed
/// locally). Each non-empty gap becomes one insert range. Sites whose ids interleave (site-prefixed or time-ordered
/// ids) are handled: rows of other sites above the frontier are skipped run by run, never row by row.
/// Runs only ever join rows of the same origin, so the id space between two other sites' rows, where this site's own
/// ids may land, is never covered by a run. At most <see cref="AppendRuns.MaxGaps"/> gaps are probed per seal. A row inserted
/// below the frontier, inside a remote run, or past the probed gaps is found by <see cref="AppendAudit"/>.
/// </summary>
internal static class AppendScanner
{
    public static int Seal(SyncStore store, TableStore t, Func<Hlc> stamp)
    {
        long tid = t.Info.Id;
        long frontier = AppendRuns.Frontier(store.Db, tid);
        int sealedRows = 0;
        long newFrontier = frontier;
        foreach (var (first, last, count) in AppendRuns.UnsealedGaps(store.Db, t, frontier).ToList())
        {
            long span = last - first + 1;
            AppendRuns.LogRange(store, tid, store.AllocateSeq(span), first, span, stamp().Value, count);
            sealedRows += (int)count;
            newFrontier = Math.Max(newFrontier, last);
        }

        if (sealedRows > 0)
        {
            AppendRuns.Advance(store.Db, tid, newFrontier, sealedRows);
        }

        return sealedRows;
    }

    /// <summary>Records rows just applied from peers as remote runs (call inside the apply transaction).</summary>
    public static void RecordRemoteRows(SyncStore store, TableStore t, Dictionary<string, List<long>> rowidsByOrigin)
    {
        foreach (var (origin, rowids) in rowidsByOrigin)
        {
            RecordRemoteRows(store, t, store.Sites.GetOrAdd(store.Db, origin), rowids);
        }
    }

    private static bool StrictlyAscending(List<long> sorted)
    {
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private static void RecordRemoteRows(SyncStore store, TableStore t, int site, List<long> rowids)
    {
        if (rowids.Count == 0)
        {
            return;
        }

        rowids.Sort();
        long tid = t.Info.Id;
        var runs = new List<(long Lo, long Hi)>();
        long span = rowids[^1] - rowids[0];
        if (span == rowids.Count - 1 && StrictlyAscending(rowids))
        {
            runs.Add((rowids[0], rowids[^1])); // consecutive rowids: no other row can sit between them
        }
        else if (span <= 4L * rowids.Count)
        {
            // Walk the table between the first and last new row: a run ends where a row that is not new sits.
            using var cmd = store.Db.CreateCommand();
            cmd.CommandText = $"SELECT rowid FROM {t.QuotedName} WHERE rowid BETWEEN $a AND $b ORDER BY rowid";
            cmd.Parameters.AddWithValue("$a", rowids[0]);
            cmd.Parameters.AddWithValue("$b", rowids[^1]);
            using var r = cmd.ExecuteReader();
            var inserted = new HashSet<long>(rowids);
            long? lo = null, hi = null;
            while (r.Read())
            {
                long id = r.GetInt64(0);
                if (inserted.Contains(id))
                {
                    lo ??= id;
                    hi = id;
                }
                else if (lo is not null)
                {
                    runs.Add((lo.Value, hi!.Value));
                    lo = null;
                }
            }

            if (lo is not null)
            {
                runs.Add((lo.Value, hi!.Value));
            }
        }
        else
        {
            runs.AddRange(rowids.Select(id => (id, id)));
        }

        using var gap = Sql.Prepare(store.Db, $"SELECT count(*) FROM {t.QuotedName} WHERE rowid > $a AND rowid < $b", "$a", "$b");
        using var before = Sql.Prepare(store.Db, "SELECT lo, hi, site FROM _edgesync_runs WHERE tid = $t AND lo < $x ORDER BY lo DESC LIMIT 1", "$t", "$x");
        using var after = Sql.Prepare(store.Db, "SELECT lo, hi, site FROM _edgesync_runs WHERE tid = $t AND lo > $x ORDER BY lo LIMIT 1", "$t", "$x");
        using var delete = Sql.Prepare(store.Db, "DELETE FROM _edgesync_runs WHERE tid = $t AND lo = $lo", "$t", "$lo");
        using var insert = Sql.Prepare(store.Db, "INSERT OR REPLACE INTO _edgesync_runs(tid, lo, hi, site) VALUES ($t, $lo, $hi, $s)", "$t", "$lo", "$hi", "$s");
        before.Set(0, tid);
        after.Set(0, tid);
        delete.Set(0, tid);
        insert.Set(0, tid);
        insert.Set(3, (long)site);
        foreach (var (lo0, hi0) in runs)
        {
            long lo = lo0, hi = hi0;
            // Join a neighbouring run when no row sits between the two.
            if (Neighbour(before, lo) is { } prev && prev.Site == site && Empty(gap, prev.Hi, lo))
            {
                lo = prev.Lo; // INSERT OR REPLACE below overwrites the previous run's row
                hi = Math.Max(hi, prev.Hi);
            }

            if (Neighbour(after, hi) is { } next && next.Site == site && Empty(gap, hi, next.Lo))
            {
                delete.Set(1, next.Lo);
                delete.ExecuteNonQuery();
                hi = Math.Max(hi, next.Hi);
            }

            insert.Set(1, lo);
            insert.Set(2, hi);
            insert.ExecuteNonQuery();
        }

        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET rows = rows + $n WHERE tid = $t", ("$n", (long)rowids.Count), ("$t", tid));
    }


    private static (long Lo, long Hi, long Site)? Neighbour(Microsoft.Data.Sqlite.SqliteCommand query, long x)
    {
        query.Set(1, x);
        using var r = query.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)) : null;
    }

    private static bool Empty(Microsoft.Data.Sqlite.SqliteCommand gap, long a, long b)
    {
        gap.Set(0, a);
        gap.Set(1, b);
        return (long)gap.ExecuteScalar()! == 0;
    }
}
