using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// The bookkeeping of <c>append</c> tables captured by rowid scan: the local frontier (<c>_edgesync_tables.wm</c>, the
/// highest rowid sealed locally), the rows accounted for (<c>_edgesync_tables.rows</c>), and the remote runs
/// (<c>_edgesync_runs</c>: rowid intervals that hold only rows applied from one peer origin). What the gaps mean and
/// when runs join is decided in <c>Capture/AppendScanner</c>; this type reads and writes them.
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
    public static IEnumerable<(long First, long Last, long Count)> UnsealedGaps(SqliteConnection db, TableStore t, long frontier)
    {
        var runs = new List<(long Lo, long Hi)>();
        using (var cmd = db.CreateCommand())
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

        using var probe = Sql.Prepare(db,
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
    public static void Advance(SqliteConnection db, long tid, long frontier, long sealedRows)
    {
        Sql.Scalar(db, "UPDATE _edgesync_tables SET wm = $f, rows = rows + $n WHERE tid = $t", ("$f", frontier), ("$n", sealedRows), ("$t", tid));
        Sql.Scalar(db, "DELETE FROM _edgesync_runs WHERE tid = $t AND hi <= $f", ("$t", tid), ("$f", frontier));
    }
}
