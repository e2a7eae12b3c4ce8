using EdgeSync.Clocks;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// <c>_edgesync_stash</c>: values received for columns this replica's table does not have (a peer at a newer schema
/// version, or a column whose declared type differs here), with their clocks, so nothing is lost. They are written
/// into the table when its application adds the column, and they travel on to other peers with the row meanwhile.
/// Per row and column only the value with the greatest clock is kept.
/// </summary>
internal static class StashStore
{
    internal readonly record struct Entry(object StoredKey, string Column, string Type, object? Value, CellClock Clock);

    private const string Upsert = """
        INSERT INTO _edgesync_stash(tid, pk, col, type, value, hlc, site, seq, prev_hlc, prev_site)
        VALUES ($t, $pk, $c, $ty, $v, $h, $s, $q, $ph, $ps)
        ON CONFLICT(tid, pk, col) DO UPDATE SET type = excluded.type, value = excluded.value, hlc = excluded.hlc,
            site = excluded.site, seq = excluded.seq, prev_hlc = excluded.prev_hlc, prev_site = excluded.prev_site
        WHERE (excluded.hlc, excluded.site, excluded.seq) > (hlc, site, seq)
        """;

    /// <summary>A prepared upsert for <see cref="Put"/>; dispose it after the batch.</summary>
    public static SqliteCommand PrepareUpsert(SyncStore store) =>
        Sql.Prepare(store.Db, Upsert, "$t", "$pk", "$c", "$ty", "$v", "$h", "$s", "$q", "$ph", "$ps");

    /// <summary>Keeps <paramref name="value"/> unless the stash holds a newer value for that row and column; true when kept.</summary>
    public static bool Put(SqliteCommand upsert, int tid, object storedKey, string column, string type, object? value, CellClock clock)
    {
        upsert.Set(0, (long)tid);
        upsert.Set(1, storedKey);
        upsert.Set(2, column);
        upsert.Set(3, type);
        upsert.Set(4, value);
        upsert.Set(5, clock.Hlc.Value);
        upsert.Set(6, clock.Site);
        upsert.Set(7, clock.Seq);
        upsert.Set(8, clock.PrevHlc.Value);
        upsert.Set(9, clock.PrevSite);
        return upsert.ExecuteNonQuery() == 1;
    }

    /// <summary>Per table id, the stashed columns and the declared type their senders gave (as <paramref name="db"/> sees them).</summary>
    public static Dictionary<int, List<(string Column, string Type)>> Columns(SqliteConnection db)
    {
        var result = new Dictionary<int, List<(string, string)>>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT tid, col, max(type) FROM _edgesync_stash GROUP BY tid, col ORDER BY tid, col";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            int tid = (int)r.GetInt64(0);
            if (!result.TryGetValue(tid, out var list))
            {
                result[tid] = list = [];
            }

            list.Add((r.GetString(1), r.GetString(2)));
        }

        return result;
    }

    /// <summary>Stashed values of one row.</summary>
    public static List<Entry> ForRow(SqliteCommand select, int tid, object storedKey)
    {
        select.Set(0, (long)tid);
        select.Set(1, storedKey);
        return Read(select);
    }

    /// <summary>A prepared query for <see cref="ForRow"/>.</summary>
    public static SqliteCommand PrepareForRow(SqliteConnection db) =>
        Sql.Prepare(db, "SELECT pk, col, type, value, hlc, site, seq, prev_hlc, prev_site FROM _edgesync_stash WHERE tid = $t AND pk = $pk", "$t", "$pk");

    /// <summary>Every stashed value of <paramref name="column"/> in table <paramref name="tid"/>.</summary>
    public static List<Entry> ForColumn(SyncStore store, int tid, string column)
    {
        using var cmd = Sql.Prepare(store.Db,
            "SELECT pk, col, type, value, hlc, site, seq, prev_hlc, prev_site FROM _edgesync_stash WHERE tid = $t AND col = $c", "$t", "$c");
        cmd.Set(0, (long)tid);
        cmd.Set(1, column);
        return Read(cmd);
    }

    /// <summary>Forgets the stashed values of <paramref name="column"/> (written into the table, or refused for good).</summary>
    public static void Remove(SyncStore store, int tid, string column) =>
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_stash WHERE tid = $t AND col = $c", ("$t", (long)tid), ("$c", column));

    /// <summary>A prepared delete of one row's stashed values (parameters: table id, stored key).</summary>
    public static SqliteCommand PrepareRemoveRow(SqliteConnection db) =>
        Sql.Prepare(db, "DELETE FROM _edgesync_stash WHERE tid = $t AND pk = $pk", "$t", "$pk");

    /// <summary>Forgets everything stashed for a table (sync on it was forgotten).</summary>
    public static void RemoveTable(SqliteConnection db, int tid) =>
        Sql.Scalar(db, "DELETE FROM _edgesync_stash WHERE tid = $t", ("$t", (long)tid));

    /// <summary>Per table id and column, how many values are stashed.</summary>
    public static List<(int Tid, string Column, string Type, long Count)> Summary(SqliteConnection db)
    {
        var list = new List<(int, string, string, long)>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT tid, col, max(type), count(*) FROM _edgesync_stash GROUP BY tid, col ORDER BY tid, col";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(((int)r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3)));
        }

        return list;
    }

    /// <summary>Every stashed value's table, row, column and clock (the values stay where they are).</summary>
    public static List<(int Tid, object StoredKey, string Column, CellClock Clock)> AllClocks(SqliteConnection db)
    {
        var list = new List<(int, object, string, CellClock)>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT tid, pk, col, hlc, site, seq, prev_hlc, prev_site FROM _edgesync_stash";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var clock = new CellClock(new Hlc(r.GetInt64(3)), r.GetString(4), r.GetInt64(5), new Hlc(r.GetInt64(6)), r.GetString(7));
            list.Add(((int)r.GetInt64(0), r.GetValue(1), r.GetString(2), clock));
        }

        return list;
    }

    /// <summary>Replaces the clock of one stashed value, keeping the value (a re-stamp: <see cref="Reincarnation"/>).</summary>
    public static void SetClock(SyncStore store, int tid, object storedKey, string column, CellClock clock) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_stash SET hlc = $h, site = $s, seq = $q, prev_hlc = $ph, prev_site = $ps "
            + "WHERE tid = $t AND pk = $pk AND col = $c",
            ("$h", clock.Hlc.Value), ("$s", clock.Site), ("$q", clock.Seq), ("$ph", clock.PrevHlc.Value), ("$ps", clock.PrevSite),
            ("$t", (long)tid), ("$pk", storedKey), ("$c", column));

    private static List<Entry> Read(SqliteCommand cmd)
    {
        var list = new List<Entry>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var clock = new CellClock(new Hlc(r.GetInt64(4)), r.GetString(5), r.GetInt64(6), new Hlc(r.GetInt64(7)), r.GetString(8));
            list.Add(new Entry(r.GetValue(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetValue(3), clock));
        }

        return list;
    }
}
