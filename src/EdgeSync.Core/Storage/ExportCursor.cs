using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// How far the hub's export (docs/lifecycle.md) got (<c>_edgesync_export_cursor</c>): per table and origin site id,
/// the highest sequence whose changes of that table are in the export stream. Local to this replica (not synced): a
/// replica that takes the export over reconciles it with the stream first.
/// </summary>
internal static class ExportCursor
{
    /// <summary>Every recorded position, read on the writer.</summary>
    public static List<(string Table, string Site, long Seq)> Load(SyncStore store)
    {
        var positions = new List<(string Table, string Site, long Seq)>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT tbl, site, seq FROM _edgesync_export_cursor ORDER BY tbl, site";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            positions.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }

        return positions;
    }

    /// <summary>Raises each position (never lowers one); the caller holds a write transaction.</summary>
    public static void Raise(SyncStore store, IEnumerable<(string Table, string Site, long Seq)> positions)
    {
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "INSERT INTO _edgesync_export_cursor(tbl, site, seq) VALUES ($t, $s, $q) "
            + "ON CONFLICT(tbl, site) DO UPDATE SET seq = max(seq, excluded.seq)";
        var t = cmd.Parameters.Add("$t", SqliteType.Text);
        var s = cmd.Parameters.Add("$s", SqliteType.Text);
        var q = cmd.Parameters.Add("$q", SqliteType.Integer);
        foreach (var p in positions)
        {
            t.Value = p.Table;
            s.Value = p.Site;
            q.Value = p.Seq;
            cmd.ExecuteNonQuery();
        }
    }
}
