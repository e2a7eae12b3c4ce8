using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Demo;

/// <summary>One replica of the demo fleet: its database file, its <see cref="SyncDatabase"/>, and what it has received.</summary>
internal sealed class DemoReplica : IDisposable
{
    /// <summary>The application's schema: append-only telemetry and last-writer-wins configuration.</summary>
    public const string Schema = """
        CREATE TABLE telemetry(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT, updated_by TEXT);
        """;

    private long _rowsSynced;

    private DemoReplica(int index, string path, string site, SyncDatabase db)
    {
        Index = index;
        Path = path;
        Site = site;
        Db = db;
    }

    public int Index { get; }

    public string Path { get; }

    public string Site { get; }

    /// <summary>The short name used in progress lines.</summary>
    public string Name => $"edge-{Index}";

    public SyncDatabase Db { get; }

    /// <summary>Rows this replica applied from its peers so far.</summary>
    public long RowsSynced => Interlocked.Read(ref _rowsSynced);

    public static string FileName(int index) => $"sqlite-edge-{index}.db";

    /// <summary>Creates the database file with the app's tables (as the app would) and enables sync on them.</summary>
    public static DemoReplica Create(string directory, int index)
    {
        string path = System.IO.Path.Combine(directory, FileName(index));
        using (var app = OpenConnection(path))
        {
            using var cmd = app.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            cmd.ExecuteNonQuery();
        }

        string site = $"factory-001/sqlite-edge-{index}";
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        try
        {
            db.EnableTable("telemetry", TablePolicy.Append);
            db.EnableTable("config", TablePolicy.Lww);
            return new DemoReplica(index, path, site, db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>A plain connection, as an application would open one (no pooling, so files close on dispose).</summary>
    public static SqliteConnection OpenConnection(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        return connection;
    }

    public void AddSynced(long rows) => Interlocked.Add(ref _rowsSynced, rows);

    /// <summary>Telemetry rows present in the file now (any origin).</summary>
    public long CountTelemetry()
    {
        using var connection = OpenConnection(Path, SqliteOpenMode.ReadOnly);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM telemetry";
        return (long)cmd.ExecuteScalar()!;
    }

    public void Dispose() => Db.Dispose();
}
