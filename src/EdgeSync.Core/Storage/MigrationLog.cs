using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary><c>_edgesync_migrations</c>: the schema migrations applied to this database through EdgeSync, by name.</summary>
internal static class MigrationLog
{
    /// <summary>The SHA-256 (hex) a migration of that name was applied with, or null.</summary>
    public static string? Find(SyncStore store, string name) =>
        Sql.Scalar(store.Db, "SELECT sha256 FROM _edgesync_migrations WHERE name = $n", ("$n", name)) as string;

    public static void Add(SyncStore store, string name, string sha256, long atMs) =>
        Sql.Scalar(store.Db, "INSERT INTO _edgesync_migrations(name, sha256, applied_at_ms) VALUES ($n, $h, $t)",
            ("$n", name), ("$h", sha256), ("$t", atMs));

    /// <summary>Every migration applied here, oldest first.</summary>
    public static List<(string Name, string Sha256, long AtMs)> All(SqliteConnection db)
    {
        var list = new List<(string, string, long)>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT name, sha256, applied_at_ms FROM _edgesync_migrations ORDER BY applied_at_ms, name";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }

        return list;
    }
}
