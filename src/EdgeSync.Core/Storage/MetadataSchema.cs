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
        CREATE TABLE IF NOT EXISTS _edgesync_runs(
            tid INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, site INTEGER NOT NULL, PRIMARY KEY(tid, lo)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_pending(
            id INTEGER PRIMARY KEY, tid INTEGER NOT NULL, op INTEGER NOT NULL, mask INTEGER NOT NULL, k0, k1, k2, k3);
        CREATE TABLE IF NOT EXISTS _edgesync_rows(
            tid INTEGER NOT NULL, pk NOT NULL, cl INTEGER NOT NULL, clocks BLOB NOT NULL,
            PRIMARY KEY(tid, pk)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_log(
            site INTEGER NOT NULL, seq INTEGER NOT NULL, tid INTEGER NOT NULL, pk NOT NULL,
            span INTEGER NOT NULL, hlc INTEGER NOT NULL, cnt INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(site, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS _edgesync_log_ranges ON _edgesync_log(tid, pk) WHERE span > 0;
        CREATE TABLE IF NOT EXISTS _edgesync_vector(site INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_floor(site INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_peers(
            peer TEXT NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(peer, site)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS _edgesync_conflicts(
            id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, table_name TEXT NOT NULL, pk TEXT NOT NULL,
            column_name TEXT, rule TEXT NOT NULL,
            winner_value, winner_hlc INTEGER NOT NULL, winner_site TEXT NOT NULL,
            loser_value, loser_hlc INTEGER NOT NULL, loser_site TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS _edgesync_ctx(k INTEGER PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS _edgesync_rejections(
            peer TEXT PRIMARY KEY, rule TEXT NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS cluster_sync(
            sync_id TEXT PRIMARY KEY, cluster_id TEXT, table_name TEXT, last_sync_time INTEGER, sync_state TEXT);
        CREATE TABLE IF NOT EXISTS _edgesync_pruned(
            tid INTEGER NOT NULL, site TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(tid, site)) WITHOUT ROWID;
        """;

    public static void Create(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Ddl;
        cmd.ExecuteNonQuery();
    }

    public static bool Exists(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '_edgesync_meta'";
        return (long)cmd.ExecuteScalar()! > 0;
    }
}
