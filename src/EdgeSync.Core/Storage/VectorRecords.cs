using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Reads this replica's version vector (<c>_edgesync_vector</c>: local site index → highest sequence held) and its
/// compaction floor (<c>_edgesync_floor</c>: log entries at or below it are gone), for the writer's cache and for
/// every extraction snapshot alike. <see cref="SyncStore.Commit"/> writes the vector.
/// </summary>
internal static class VectorRecords
{
    public static Dictionary<int, long> ReadVector(SqliteConnection db) => ReadPairs(db, "SELECT site, seq FROM _edgesync_vector");

    public static Dictionary<int, long> ReadFloor(SqliteConnection db) => ReadPairs(db, "SELECT site, seq FROM _edgesync_floor");

    private static Dictionary<int, long> ReadPairs(SqliteConnection db, string sql)
    {
        var pairs = new Dictionary<int, long>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            pairs[(int)r.GetInt64(0)] = r.GetInt64(1);
        }

        return pairs;
    }
}
