using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Tests.Support;

/// <summary>A database file as an application sees it: plain SQL through its own connection, no EdgeSync.</summary>
public sealed class AppDatabase : IDisposable
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS telemetry(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT, updated_by TEXT);
        """;

    private readonly SqliteConnection _connection;

    public AppDatabase(string path, string schema = Schema)
    {
        Path = path;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Exec("PRAGMA journal_mode = WAL;" + schema);
    }

    public string Path { get; }

    public int Exec(string sql, params object?[] args)
    {
        using var cmd = Command(sql, args);
        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params object?[] args)
    {
        using var cmd = Command(sql, args);
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>The engine's canonical checksum of the synced tables, from a fresh handle (as another process would see it).</summary>
    public string Checksum()
    {
        using var db = SyncDatabase.Open(Path);
        return db.Checksum();
    }

    private SqliteCommand Command(string sql, object?[] args)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        return cmd;
    }

    public void Dispose() => _connection.Dispose();
}
