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
        cmd.CommandText = "SELECT tid, name, policy, mode, columns, pk, types, sv, drift, dropped, width0 FROM _edgesync_tables ORDER BY tid";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var columns = JsonSerializer.Deserialize<string[]>(r.GetString(4))!;
            tables.Add(new TableInfo(
                r.GetString(1),
                (int)r.GetInt64(0),
                TablePolicyNames.Parse(r.GetString(2)),
                TablePolicyNames.ParseMode(r.GetString(3)),
                columns,
                JsonSerializer.Deserialize<int[]>(r.GetString(5))!)
            {
                DeclaredTypes = r.IsDBNull(6) ? columns.Select(_ => "").ToArray() : JsonSerializer.Deserialize<string[]>(r.GetString(6))!,
                SchemaVersion = (int)r.GetInt64(7),
                Drift = r.IsDBNull(8) ? null : JsonSerializer.Deserialize<SchemaDrift>(r.GetString(8)),
                DroppedColumns = r.IsDBNull(9) ? [] : JsonSerializer.Deserialize<string[]>(r.GetString(9))!,
                LegacyClockWidth = r.IsDBNull(10) ? -1 : (int)r.GetInt64(10),
            });
        }

        return tables;
    }

    /// <summary>Records <paramref name="shape"/> as a synced table under the next free id; inside the caller's write transaction.</summary>
    public static TableInfo Add(SyncStore store, SchemaReader.TableShape shape, TablePolicy policy)
    {
        int tid = (int)(long)Sql.Scalar(store.Db, "SELECT coalesce(max(tid), 0) + 1 FROM _edgesync_tables")!;
        var info = new TableInfo(shape.Name, tid, policy, shape.Mode, shape.Columns, shape.PrimaryKey) { DeclaredTypes = shape.Types };
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_forgotten WHERE name = $n", ("$n", shape.Name));
        Sql.Scalar(store.Db,
            "INSERT INTO _edgesync_tables(tid, name, policy, mode, columns, pk, wm, types, shape) VALUES ($t, $n, $p, $m, $c, $k, 0, $ty, $sh)",
            ("$t", (long)tid), ("$n", shape.Name), ("$p", policy.ToName()), ("$m", shape.Mode.ToName()),
            ("$c", JsonSerializer.Serialize(shape.Columns)), ("$k", JsonSerializer.Serialize(shape.PrimaryKey)),
            ("$ty", JsonSerializer.Serialize(shape.Types)), ("$sh", SchemaReader.Signature(store.Db, shape.Name)));
        return info;
    }

    /// <summary>Records a schema change of a synced table (columns, types, version, drift); inside the caller's write transaction.</summary>
    public static void Update(SyncStore store, TableInfo info, string? signature)
    {
        Sql.Scalar(store.Db,
            "UPDATE _edgesync_tables SET columns = $c, types = $ty, sv = $sv, drift = $d, dropped = $dr, width0 = $w, shape = $sh WHERE tid = $t",
            ("$t", (long)info.Id), ("$c", JsonSerializer.Serialize(info.Columns)), ("$ty", JsonSerializer.Serialize(info.DeclaredTypes)),
            ("$sv", (long)info.SchemaVersion), ("$d", info.Drift is null ? null : JsonSerializer.Serialize(info.Drift)),
            ("$dr", JsonSerializer.Serialize(info.DroppedColumns)), ("$w", info.LegacyClockWidth < 0 ? null : (long)info.LegacyClockWidth),
            ("$sh", signature));
    }

    /// <summary>The table's definition as last recorded (<see cref="SchemaReader.Signature"/>), or null when never recorded.</summary>
    public static string? RecordedSignature(SyncStore store, int tid) =>
        Sql.Scalar(store.Db, "SELECT shape FROM _edgesync_tables WHERE tid = $t", ("$t", (long)tid)) as string;

    /// <summary>
    /// Queues every row the table holds now as a local insert for the next seal (a table enabled with rows in it);
    /// inside the caller's write transaction.
    /// </summary>
    public static void QueueExistingRows(SyncStore store, TableInfo info)
    {
        var slots = string.Join(", ", info.PrimaryKey.Select((_, i) => $"k{i}"));
        var cols = string.Join(", ", info.PrimaryKey.Select(i => Sql.Quote(info.Columns[i])));
        Sql.Exec(store.Db, $"INSERT INTO _edgesync_pending(tid, op, mask, {slots}) SELECT {info.Id}, 1, -1, {cols} FROM {Sql.Quote(info.Name)}");
    }

    /// <summary>
    /// Forgets a synced table: its record, row metadata, log entries, runs, pending changes and values kept aside. The
    /// user table (if it still exists) is left as it is. Inside the caller's write transaction.
    /// </summary>
    public static void Forget(SyncStore store, int tid)
    {
        var name = (string)Sql.Scalar(store.Db, "SELECT name FROM _edgesync_tables WHERE tid = $t", ("$t", (long)tid))!;
        foreach (var table in new[] { "_edgesync_rows", "_edgesync_log", "_edgesync_runs", "_edgesync_pending", "_edgesync_stash", "_edgesync_tables" })
        {
            Sql.Scalar(store.Db, $"DELETE FROM {table} WHERE tid = $t", ("$t", (long)tid));
        }

        Sql.Scalar(store.Db, "INSERT OR IGNORE INTO _edgesync_forgotten(name) VALUES ($n)", ("$n", name));
    }

    /// <summary>Tables whose sync was forgotten here: what peers still send of them is ignored.</summary>
    public static HashSet<string> Forgotten(SyncStore store)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT name FROM _edgesync_forgotten";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            names.Add(r.GetString(0));
        }

        return names;
    }

    /// <summary>An SQL expression for table <paramref name="tid"/>'s watermark (the highest rowid capture sealed), for a capture trigger's WHEN clause.</summary>
    public static string WatermarkOf(int tid) => $"(SELECT wm FROM _edgesync_tables WHERE tid = {tid})";

    /// <summary>Table <paramref name="tid"/>'s watermark: the highest rowid capture sealed (for <c>append</c> tables, the frontier of <see cref="AppendRuns"/>).</summary>
    public static long Watermark(SyncStore store, long tid) => AppendRuns.Frontier(store.Db, tid);

    /// <summary>Sets table <paramref name="tid"/>'s watermark; in the caller's write transaction.</summary>
    public static void SetWatermark(SyncStore store, long tid, long watermark) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET wm = $m WHERE tid = $t", ("$m", watermark), ("$t", tid));

    /// <summary>Raises <paramref name="t"/>'s watermark to its highest rowid (rows apply inserted are not local inserts to seal); in the caller's write transaction.</summary>
    public static void RaiseWatermarkToLastRow(SyncStore store, TableStore t) =>
        Sql.Scalar(store.Db, $"UPDATE _edgesync_tables SET wm = max(wm, coalesce((SELECT max(rowid) FROM {t.QuotedName}), 0)) WHERE tid = $t",
            ("$t", (long)t.Info.Id));
}
