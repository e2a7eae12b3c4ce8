using System.Text.Json;
using EdgeSync.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// The synced tables as <c>_edgesync_tables</c> records them: the one loader of table metadata (the writer's cache and
/// every extraction snapshot read it through here) and the record a newly enabled table gets.
/// </summary>
internal static class TableCatalog
{
    /// <summary>Every synced table, by id, as seen by <paramref name="db"/> (its transaction's snapshot, if any).</summary>
    public static List<TableInfo> Load(SqliteConnection db)
    {
        var tables = new List<TableInfo>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT tid, name, policy, mode, columns, pk FROM _edgesync_tables ORDER BY tid";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            tables.Add(new TableInfo(
                r.GetString(1),
                (int)r.GetInt64(0),
                TablePolicyNames.Parse(r.GetString(2)),
                TablePolicyNames.ParseMode(r.GetString(3)),
                JsonSerializer.Deserialize<string[]>(r.GetString(4))!,
                JsonSerializer.Deserialize<int[]>(r.GetString(5))!));
        }

        return tables;
    }

    /// <summary>Records <paramref name="shape"/> as a synced table under the next free id; inside the caller's write transaction.</summary>
    public static TableInfo Add(SqliteConnection db, SchemaReader.TableShape shape, TablePolicy policy)
    {
        int tid = (int)(long)Sql.Scalar(db, "SELECT coalesce(max(tid), 0) + 1 FROM _edgesync_tables")!;
        var info = new TableInfo(shape.Name, tid, policy, shape.Mode, shape.Columns, shape.PrimaryKey);
        Sql.Scalar(db,
            "INSERT INTO _edgesync_tables(tid, name, policy, mode, columns, pk, wm) VALUES ($t, $n, $p, $m, $c, $k, 0)",
            ("$t", (long)tid), ("$n", shape.Name), ("$p", policy.ToName()), ("$m", shape.Mode.ToName()),
            ("$c", JsonSerializer.Serialize(shape.Columns)), ("$k", JsonSerializer.Serialize(shape.PrimaryKey)));
        return info;
    }

    /// <summary>
    /// Queues every row the table holds now as a local insert for the next seal (a table enabled with rows in it);
    /// inside the caller's write transaction.
    /// </summary>
    public static void QueueExistingRows(SqliteConnection db, TableInfo info)
    {
        var slots = string.Join(", ", info.PrimaryKey.Select((_, i) => $"k{i}"));
        var cols = string.Join(", ", info.PrimaryKey.Select(i => Sql.Quote(info.Columns[i])));
        Sql.Exec(db, $"INSERT INTO _edgesync_pending(tid, op, mask, {slots}) SELECT {info.Id}, 1, -1, {cols} FROM {Sql.Quote(info.Name)}");
    }
}
