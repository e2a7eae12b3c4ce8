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
    public static bool HasRows(SqliteConnection db) =>
        Sql.Scalar(db, "SELECT EXISTS (SELECT 1 FROM _edgesync_pending)") is long n && n != 0;

    public static bool HasRowsPastWatermark(SqliteConnection db, TableStore t)
    {
        long wm = AppendRuns.Frontier(db, t.Info.Id);
        if (Sql.Scalar(db, $"SELECT max(rowid) FROM {t.QuotedName}") is not long max || max <= wm)
        {
            return false;
        }

        return t.Info.Policy != TablePolicy.Append || AppendRuns.UnsealedGaps(db, t, wm).Any();
    }
}
