using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Fuzz;

/// <summary>
/// The schema every fuzz database uses: an append rowid table, an lww text-keyed table, a composite-key WITHOUT ROWID
/// table, and a table with a secondary UNIQUE constraint and a BLOB column.
/// </summary>
public static class ScratchSchema
{
    /// <summary>The tables and their policies.</summary>
    public static IReadOnlyList<(string Table, TablePolicy Policy)> Tables { get; } =
    [
        ("readings", TablePolicy.Append),
        ("settings", TablePolicy.Lww),
        ("items", TablePolicy.Lww),
        ("counters", TablePolicy.Lww),
    ];

    /// <summary>Columns of each table, in declaration order (what the engine and ingest see).</summary>
    public static IReadOnlyDictionary<string, string[]> Columns { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["readings"] = ["id", "device", "ts", "value"],
        ["settings"] = ["key", "value", "owner", "version"],
        ["items"] = ["tenant", "code", "name", "qty"],
        ["counters"] = ["id", "a", "b", "c"],
    };

    private const string Sql = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT, owner TEXT, version INTEGER);
        CREATE TABLE IF NOT EXISTS items(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS counters(id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE, c BLOB);
        """;

    /// <summary>Creates the tables in the SQLite file at <paramref name="path"/>.</summary>
    public static void Create(string path)
    {
        using var c = OpenApp(path);
        Exec(c, Sql);
    }

    /// <summary>Opens the file at <paramref name="path"/> and enables sync on every table.</summary>
    public static SyncDatabase Open(string path, string site, TimeProvider time, int maxBatchRows = 40)
    {
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site, Time = time, MaxBatchRows = maxBatchRows });
        foreach (var (table, policy) in Tables)
        {
            db.EnableTable(table, policy);
        }

        return db;
    }

    /// <summary>A plain connection, as an application would open.</summary>
    public static SqliteConnection OpenApp(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Pooling=false;Default Timeout=30");
        c.Open();
        return c;
    }

    /// <summary>Runs SQL with positional parameters <c>$1</c>, <c>$2</c>, ….</summary>
    public static int Exec(SqliteConnection c, string sql, params object?[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        return cmd.ExecuteNonQuery();
    }
}
