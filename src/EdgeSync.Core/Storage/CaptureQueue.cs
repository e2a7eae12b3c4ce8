using EdgeSync.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What capture has not sealed yet, without sealing it: rows the triggers queued in <c>_edgesync_pending</c>, and
/// rows of rowid-scan tables past the table's watermark (for <c>append</c> tables: in a gap between remote runs,
/// exactly the gaps <see cref="AppendRuns.UnsealedGaps"/> gives the scanner).
/// </summary>
internal static class CaptureQueue
{
    /// <summary>True when the trigger queue holds rows of a table not in <paramref name="stopped"/> (tables whose sync a schema drift stopped: their rows wait).</summary>
    public static bool HasRows(SqliteConnection db, IReadOnlyCollection<int> stopped) =>
        Sql.Scalar(db, stopped.Count == 0
            ? "SELECT EXISTS (SELECT 1 FROM _edgesync_pending)"
            : $"SELECT EXISTS (SELECT 1 FROM _edgesync_pending WHERE tid NOT IN ({string.Join(", ", stopped)}))") is long n && n != 0;

    public static bool HasRowsPastWatermark(SqliteConnection db, TableStore t)
    {
        long wm = AppendRuns.Frontier(db, t.Info.Id);
        if (Sql.Scalar(db, $"SELECT max(rowid) FROM {t.QuotedName}") is not long max || max <= wm)
        {
            return false;
        }

        return t.Info.Policy != TablePolicy.Append || AppendRuns.UnsealedGaps(db, t, wm).Any();
    }

    /// <summary>Queues <paramref name="rowids"/> of table <paramref name="tid"/> as inserts for the next seal.</summary>
    public static void QueueInserts(SqliteConnection db, long tid, IEnumerable<long> rowids)
    {
        using var queue = Sql.Prepare(db, "INSERT INTO _edgesync_pending(tid, op, mask, k0) VALUES ($t, 1, -1, $k)", "$t", "$k");
        queue.Set(0, tid);
        foreach (long id in rowids)
        {
            queue.Set(1, id);
            queue.ExecuteNonQuery();
        }
    }

    /// <summary>Queues as inserts the rows of <paramref name="t"/> between <paramref name="lo"/> and <paramref name="hi"/> that have no row metadata.</summary>
    public static void QueueRowsWithoutMetadata(SqliteConnection db, TableStore t, long lo, long hi) =>
        Sql.Scalar(db,
            $"INSERT INTO _edgesync_pending(tid, op, mask, k0) SELECT $t, 1, -1, u.rowid FROM {t.QuotedName} AS u "
            + "WHERE u.rowid BETWEEN $lo AND $hi AND NOT EXISTS (SELECT 1 FROM _edgesync_rows m WHERE m.tid = $t AND m.pk = +u.rowid)",
            ("$t", (long)t.Info.Id), ("$lo", lo), ("$hi", hi));
}
