using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>What compaction removes and records: single-row log entries, tombstones, and the floor per origin.</summary>
internal static class CompactionRecords
{
    /// <summary>
    /// Deletes the single-row log entries of <paramref name="site"/> at or below <paramref name="limit"/> (ranges stay);
    /// returns how many, and the highest sequence deleted (0 when none).
    /// </summary>
    public static (int Count, long Highest) DeleteLogEntries(SyncStore store, int site, long limit)
    {
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT count(*), coalesce(max(seq), 0) FROM _edgesync_log WHERE site = $s AND seq <= $f AND span = 0";
        cmd.Parameters.AddWithValue("$s", (long)site);
        cmd.Parameters.AddWithValue("$f", limit);
        long count, highest;
        using (var r = cmd.ExecuteReader())
        {
            r.Read();
            (count, highest) = (r.GetInt64(0), r.GetInt64(1));
        }

        if (count > 0)
        {
            Sql.Scalar(store.Db, "DELETE FROM _edgesync_log WHERE site = $s AND seq <= $f AND span = 0", ("$s", (long)site), ("$f", limit));
        }

        return ((int)count, highest);
    }

    /// <summary>Stores the compaction floor of <paramref name="site"/>.</summary>
    public static void SetFloor(SyncStore store, int site, long floor) =>
        Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_floor(site, seq) VALUES ($s, $f)", ("$s", (long)site), ("$f", floor));

    /// <summary>Every tombstone: table id, stored key, causal length and the encoded delete clock.</summary>
    public static List<(long Tid, object Pk, long CausalLength, byte[] Clock)> Tombstones(SyncStore store)
    {
        var list = new List<(long, object, long, byte[])>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT tid, pk, cl, clocks FROM _edgesync_rows WHERE cl % 2 = 0";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add((r.GetInt64(0), r.GetValue(1), r.GetInt64(2), (byte[])r.GetValue(3)));
        }

        return list;
    }

    /// <summary>Deletes the metadata rows of <paramref name="rows"/>.</summary>
    public static void DeleteRowMetadata(SyncStore store, IEnumerable<(long Tid, object Pk)> rows)
    {
        using var del = Sql.Prepare(store.Db, "DELETE FROM _edgesync_rows WHERE tid = $t AND pk = $pk", "$t", "$pk");
        foreach (var (tid, pk) in rows)
        {
            del.Set(0, tid);
            del.Set(1, pk);
            del.ExecuteNonQuery();
        }
    }

    /// <summary>Raises the table's causal-length floor to at least <paramref name="causalLength"/> (see <see cref="TableStore.CausalFloor"/>).</summary>
    public static void RaiseCausalFloor(SyncStore store, long tid, long causalLength) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET clfloor = max(clfloor, $c) WHERE tid = $t", ("$c", causalLength), ("$t", tid));

    /// <summary>Counts single-row log entries and tombstones, and sums the payload bytes of the log and row metadata.</summary>
    public static (long LogEntries, long Tombstones, long Bytes) Measure(SqliteConnection db)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT (SELECT count(*) FROM _edgesync_log WHERE span = 0),
                   (SELECT count(*) FROM _edgesync_rows WHERE cl % 2 = 0),
                   (SELECT coalesce(sum(length(pk) + 24), 0) FROM _edgesync_log)
                 + (SELECT coalesce(sum(length(pk) + length(clocks) + coalesce(length(sums), 0) + 16), 0) FROM _edgesync_rows)
            """;
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }
}
