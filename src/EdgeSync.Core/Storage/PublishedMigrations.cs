using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// The fleet's migration log and the application's gate, in the user's database (docs/schema.md, "Fleet-managed
/// migrations"): <c>edgesync_migrations</c> is an ordinary synced <c>lww</c> table that HQ writes and that flows down
/// like configuration; <c>edgesync_schema_gate</c> is a one-row local table the application sets to the highest gate it
/// is ready for. A replica runs a published migration once its gate allows it.
/// </summary>
internal static class PublishedMigrations
{
    public const string LogTable = "edgesync_migrations";
    public const string GateTable = "edgesync_schema_gate";

    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS edgesync_migrations(
            name TEXT PRIMARY KEY, sql TEXT NOT NULL, gate INTEGER NOT NULL DEFAULT 0, published_at_ms INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS edgesync_schema_gate(id INTEGER PRIMARY KEY CHECK (id = 1), allow INTEGER NOT NULL DEFAULT 0);
        INSERT OR IGNORE INTO edgesync_schema_gate(id, allow) VALUES (1, 0);
        """;

    public static void Create(SyncStore store) => Sql.Exec(store.Db, Ddl);

    public static void Publish(SyncStore store, string name, string sql, long gate, long atMs) =>
        Sql.Scalar(store.Db, "INSERT INTO edgesync_migrations(name, sql, gate, published_at_ms) VALUES ($n, $s, $g, $t) "
            + "ON CONFLICT(name) DO UPDATE SET sql = excluded.sql, gate = excluded.gate, published_at_ms = excluded.published_at_ms",
            ("$n", name), ("$s", sql), ("$g", gate), ("$t", atMs));

    public static void SetGate(SyncStore store, long allow) =>
        Sql.Scalar(store.Db, "UPDATE edgesync_schema_gate SET allow = $a WHERE id = 1", ("$a", allow));

    /// <summary>The gate the application set (0 when the tables do not exist yet).</summary>
    public static long Gate(SqliteConnection db) =>
        Exists(db) ? Sql.Scalar(db, "SELECT allow FROM edgesync_schema_gate WHERE id = 1") as long? ?? 0 : 0;

    /// <summary>Published migrations, in the order they run (gate, then name).</summary>
    public static List<(string Name, string Sql, long Gate)> All(SqliteConnection db)
    {
        var list = new List<(string, string, long)>();
        if (!Exists(db))
        {
            return list;
        }

        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT name, sql, gate FROM edgesync_migrations ORDER BY gate, name";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }

        return list;
    }

    private static bool Exists(SqliteConnection db) =>
        (long)Sql.Scalar(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('edgesync_migrations', 'edgesync_schema_gate')")! == 2;
}
