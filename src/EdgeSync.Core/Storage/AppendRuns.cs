using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// The bookkeeping of <c>append</c> tables captured by rowid scan: the local frontier (<c>_edgesync_tables.wm</c>, the
/// highest rowid sealed locally), the rows accounted for (<c>_edgesync_tables.rows</c>), and the remote runs
/// (<c>_edgesync_runs</c>: rowid intervals that hold only rows applied from one peer origin, joined when no other row
/// sits between them). <c>Capture/AppendScanner</c> seals the gaps between runs; apply records the runs.
/// </summary>
internal static class AppendRuns
{
    /// <summary>At most this many gaps above the frontier are probed per seal.</summary>
    public const int MaxGaps = 256;

    public static long Frontier(SqliteConnection db, long tid) =>
        (long)Sql.Scalar(db, "SELECT wm FROM _edgesync_tables WHERE tid = $t", ("$t", tid))!;

    /// <summary>
    /// The non-empty gaps between remote runs above <paramref name="frontier"/> (at most <see cref="MaxGaps"/> probed),
    /// lowest first: each the first and last rowid in it and how many rows it holds. Reads only.
    /// </summary>
    public static IEnumerable<(long First, long Last, long Count)> UnsealedGaps(SyncStore store, TableStore t, long frontier)
    {
        var runs = new List<(long Lo, long Hi)>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = $"SELECT lo, hi FROM _edgesync_runs WHERE tid = $t AND hi > $f ORDER BY lo LIMIT {MaxGaps - 1}";
            cmd.Parameters.AddWithValue("$t", (long)t.Info.Id);
            cmd.Parameters.AddWithValue("$f", frontier);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                runs.Add((r.GetInt64(0), r.GetInt64(1)));
            }
        }

        using var probe = Sql.Prepare(store.Db,
            $"SELECT min(rowid), max(rowid), count(*) FROM {t.QuotedName} WHERE rowid > $a AND rowid < $b", "$a", "$b");
        long gapStart = frontier;
        foreach (var (lo, hi) in runs.Append((long.MaxValue, long.MaxValue)))
        {
            if (lo > gapStart + 1)
            {
                probe.Set(0, gapStart);
                probe.Set(1, lo);
                (long, long, long)? gap = null;
                using (var r = probe.ExecuteReader())
                {
                    if (r.Read() && !r.IsDBNull(0))
                    {
                        gap = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
                    }
                }

                if (gap is { } g)
                {
                    yield return g;
                }
            }

            gapStart = Math.Max(gapStart, hi);
        }
    }

    /// <summary>Records a local insert range of <paramref name="count"/> rows sealed as <paramref name="seq"/>.</summary>
    public static void LogRange(SyncStore store, long tid, long seq, long first, long span, long hlc, long count) =>
        Sql.Scalar(store.Db,
            "INSERT INTO _edgesync_log(site, seq, tid, pk, span, hlc, cnt) VALUES ($s, $q, $t, $pk, $n, $h, $c)",
            ("$s", (long)store.SiteIndex), ("$q", seq), ("$t", tid), ("$pk", first), ("$n", span), ("$h", hlc), ("$c", count));

    /// <summary>Moves the frontier to <paramref name="frontier"/> after <paramref name="sealedRows"/> rows were sealed; drops the runs below it.</summary>
    public static void Advance(SyncStore store, long tid, long frontier, long sealedRows)
    {
        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET wm = $f, rows = rows + $n WHERE tid = $t", ("$f", frontier), ("$n", sealedRows), ("$t", tid));
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_runs WHERE tid = $t AND hi <= $f", ("$t", tid), ("$f", frontier));
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

    /// <summary>
    /// Records <paramref name="rowids"/>, rows of origin <paramref name="site"/> just applied, as remote runs, joining a
    /// neighbouring run of the same origin when no row sits between the two (inside the apply transaction).
    /// </summary>
    public static void RecordRemote(SyncStore store, TableStore t, int site, List<long> rowids)
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

    private static (long Lo, long Hi, long Site)? Neighbour(SqliteCommand query, long x)
    {
        query.Set(1, x);
        using var r = query.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)) : null;
    }

    private static bool Empty(SqliteCommand gap, long a, long b)
    {
        gap.Set(0, a);
        gap.Set(1, b);
        return (long)gap.ExecuteScalar()! == 0;
    }

    /// <summary>Append tables whose <c>count(*)</c> exceeds the rows capture accounted for, from one read snapshot (any connection).</summary>
    public static List<int> TablesWithUnaccountedRows(SqliteConnection reader)
    {
        var tables = new List<(int Tid, string Name, long Rows)>();
        var suspects = new List<int>();
        Sql.Exec(reader, "BEGIN");
        try
        {
            using (var cmd = reader.CreateCommand())
            {
                cmd.CommandText = "SELECT tid, name, rows FROM _edgesync_tables WHERE policy = 'append' AND mode = 'rowid-scan' AND drift IS NULL";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    tables.Add(((int)r.GetInt64(0), r.GetString(1), r.GetInt64(2)));
                }
            }

            foreach (var (tid, name, rows) in tables)
            {
                if ((long)Sql.Scalar(reader, $"SELECT count(*) FROM {Sql.Quote(name)}")! > rows)
                {
                    suspects.Add(tid);
                }
            }
        }
        finally
        {
            Sql.Exec(reader, "COMMIT");
        }

        return suspects;
    }

    /// <summary>This site's insert ranges of table <paramref name="tid"/> under any of its incarnations: first and last rowid, rows recorded.</summary>
    public static List<(long Lo, long Hi, long Count)> LocalRanges(SyncStore store, long tid)
    {
        var ranges = new List<(long, long, long)>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT pk, span, cnt FROM _edgesync_log WHERE tid = $t AND span > 0 AND site IN "
            + "(SELECT idx FROM _edgesync_sites WHERE site = $b OR substr(site, 1, length($b) + 1) = $b || '~')";
        cmd.Parameters.AddWithValue("$t", tid);
        cmd.Parameters.AddWithValue("$b", SiteIncarnation.BaseOf(store.SiteId));
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long lo = r.GetInt64(0);
            ranges.Add((lo, lo + r.GetInt64(1) - 1, r.GetInt64(2)));
        }

        return ranges;
    }

    /// <summary>Every insert range of table <paramref name="tid"/>, whatever its origin: first rowid → last rowid, rows recorded.</summary>
    public static Dictionary<long, (long Hi, long Count)> AllRanges(SyncStore store, long tid)
    {
        var ranges = new Dictionary<long, (long, long)>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT pk, span, cnt FROM _edgesync_log WHERE tid = $t AND span > 0";
        cmd.Parameters.AddWithValue("$t", tid);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long lo = r.GetInt64(0);
            ranges[lo] = (lo + r.GetInt64(1) - 1, r.GetInt64(2));
        }

        return ranges;
    }

    /// <summary>Rowids of <paramref name="t"/> with no row metadata (inside a range, or not captured), ascending.</summary>
    public static List<long> RowsWithoutMetadata(SyncStore store, TableStore t)
    {
        var rowids = new List<long>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = $"SELECT u.rowid FROM {t.QuotedName} AS u LEFT JOIN _edgesync_rows AS m ON m.tid = $t AND m.pk = +u.rowid "
            + "WHERE m.pk IS NULL ORDER BY u.rowid";
        cmd.Parameters.AddWithValue("$t", (long)t.Info.Id);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            rowids.Add(r.GetInt64(0));
        }

        return rowids;
    }

    /// <summary>Sets the row count recorded for the insert range starting at <paramref name="lo"/>.</summary>
    public static void SetRangeCount(SyncStore store, long tid, long lo, long count) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_log SET cnt = $a WHERE tid = $t AND pk = $lo AND span > 0", ("$a", count), ("$t", tid), ("$lo", lo));

    /// <summary>How many rows table <paramref name="t"/> holds now.</summary>
    public static long RowCount(SyncStore store, TableStore t) => (long)Sql.Scalar(store.Db, $"SELECT count(*) FROM {t.QuotedName}")!;

    /// <summary>How many rows capture accounted for in table <paramref name="tid"/>.</summary>
    public static long Accounted(SyncStore store, long tid) =>
        (long)Sql.Scalar(store.Db, "SELECT rows FROM _edgesync_tables WHERE tid = $t", ("$t", tid))!;

    /// <summary>Adds <paramref name="rows"/> to the rows capture accounted for in table <paramref name="tid"/>.</summary>
    public static void AddAccounted(SyncStore store, long tid, long rows) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET rows = rows + $n WHERE tid = $t", ("$n", rows), ("$t", tid));
}
