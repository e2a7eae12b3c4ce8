using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// EdgeSync's own tables, created in the user's database next to the user's tables. All are prefixed
/// <c>_edgesync_</c>, except <c>cluster_sync</c>, whose shape ops tools already read. See docs/design.md.
/// </summary>
internal static class MetadataSchema
{
    public const int Version = 1;

    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS _edgesync_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_sites(idx INTEGER PRIMARY KEY, site TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS _edgesync_tables(
            tid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, policy TEXT NOT NULL, mode TEXT NOT NULL,
            columns TEXT NOT NULL, pk TEXT NOT NULL, wm INTEGER NOT NULL DEFAULT 0, rows INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS _edgesync_stash(
            tid INTEGER NOT NULL, pk NOT NULL, col TEXT NOT NULL COLLATE NOCASE, type TEXT NOT NULL, value,
            hlc INTEGER NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, prev_hlc INTEGER NOT NULL, prev_site TEXT NOT NULL,
            PRIMARY KEY(tid, pk, col)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_runs(
            tid INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, site INTEGER NOT NULL, PRIMARY KEY(tid, lo)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_pending(
            id INTEGER PRIMARY KEY, tid INTEGER NOT NULL, op INTEGER NOT NULL, mask INTEGER NOT NULL, k0, k1, k2, k3);
        CREATE TABLE IF NOT EXISTS _edgesync_rows(
            tid INTEGER NOT NULL, pk NOT NULL, cl INTEGER NOT NULL, clocks BLOB NOT NULL, sums BLOB,
            PRIMARY KEY(tid, pk)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_log(
            site INTEGER NOT NULL, seq INTEGER NOT NULL, tid INTEGER NOT NULL, pk NOT NULL,
            span INTEGER NOT NULL, hlc INTEGER NOT NULL, cnt INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(site, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS _edgesync_log_ranges ON _edgesync_log(tid, pk) WHERE span > 0;
        CREATE TABLE IF NOT EXISTS _edgesync_vector(site INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_floor(site INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_disclaimed(site INTEGER PRIMARY KEY, first INTEGER NOT NULL, held INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_peers(
            peer TEXT NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(peer, site)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_conflicts(
            id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, table_name TEXT NOT NULL, pk TEXT NOT NULL,
            column_name TEXT, rule TEXT NOT NULL,
            winner_value, winner_hlc INTEGER NOT NULL, winner_site TEXT NOT NULL,
            loser_value, loser_hlc INTEGER NOT NULL, loser_site TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_ctx(k INTEGER PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS _edgesync_forgotten(name TEXT PRIMARY KEY COLLATE NOCASE) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_migrations(
            name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_rejections(
            peer TEXT PRIMARY KEY, rule TEXT NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS cluster_sync(
            sync_id TEXT PRIMARY KEY, cluster_id TEXT, table_name TEXT, last_sync_time INTEGER, sync_state TEXT);
        CREATE TABLE IF NOT EXISTS _edgesync_pruned(
            tid INTEGER NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(tid, site)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_export_cursor(
            tbl TEXT NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(tbl, site)) WITHOUT ROWID;
        """;

    /// <summary>Columns <c>_edgesync_tables</c> gained after version 1 (added to files made before them).</summary>
    private static readonly (string Name, string Ddl)[] LaterTableColumns =
    [
        ("types", "types TEXT"), // JSON: declared type per column
        ("sv", "sv INTEGER NOT NULL DEFAULT 1"), // the table's schema version here
        ("drift", "drift TEXT"), // JSON SchemaDrift while sync of the table is stopped
        ("dropped", "dropped TEXT"), // JSON: columns dropped here
        ("width0", "width0 INTEGER"), // width of row clocks in the first format
        ("shape", "shape TEXT"), // the table's CREATE statement and indexes when last checked
        ("clfloor", "clfloor INTEGER NOT NULL DEFAULT 0"), // highest causal length of a tombstone compaction dropped
    ];

    /// <summary>Columns added to <c>_edgesync_rows</c> after its first release; databases set up earlier gain them on open.</summary>
    private static readonly (string Name, string Ddl)[] LaterRowColumns =
    [
        ("sums", "sums BLOB"), // RowSums: each column's value fingerprint when the row was last written here (null: unknown)
    ];

    public static void Create(SqliteConnection connection)
    {
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = Ddl;
            cmd.ExecuteNonQuery();
        }

        AddLaterColumns(connection, "_edgesync_tables", LaterTableColumns);
        AddLaterColumns(connection, "_edgesync_rows", LaterRowColumns);
    }

    private static void AddLaterColumns(SqliteConnection connection, string table, (string Name, string Ddl)[] later)
    {
        var have = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                have.Add(r.GetString(0));
            }
        }

        foreach (var (name, ddl) in later)
        {
            if (!have.Contains(name))
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = $"ALTER TABLE {table} ADD COLUMN {ddl}";
                cmd.ExecuteNonQuery();
            }
        }
    }

    public static bool Exists(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '_edgesync_meta'";
        return (long)cmd.ExecuteScalar()! > 0;
    }
}
