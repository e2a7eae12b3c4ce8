using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Support;

/// <summary>A test replica: a database file, its SyncDatabase, and a plain connection for "application" writes.</summary>
public sealed class Replica : IDisposable
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT, owner TEXT, version INTEGER);
        CREATE TABLE IF NOT EXISTS items(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, PRIMARY KEY(tenant, code)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS counters(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c BLOB);
        """;

    public Replica(string path, string site, bool enable = true, TimeProvider? time = null)
    {
        Path = path;
        Site = site;
        App = new SqliteConnection($"Data Source={path};Pooling=false");
        App.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;" + Schema);
        Db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site, Time = time ?? TimeProvider.System });
        if (enable)
        {
            Db.EnableTable("readings", TablePolicy.Append);
            Db.EnableTable("settings", TablePolicy.Lww);
            Db.EnableTable("items", TablePolicy.Lww);
            Db.EnableTable("counters", TablePolicy.Lww);
        }
    }

    public string Path { get; }

    public string Site { get; }

    public SyncDatabase Db { get; private set; }

    public SqliteConnection App { get; }

    public int Exec(string sql, params object?[] args)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params object?[] args)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        var r = cmd.ExecuteScalar();
        return r is DBNull ? null : r;
    }

    public List<object?[]> Rows(string sql)
    {
        using var cmd = App.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }

            list.Add(row);
        }

        return list;
    }

    /// <summary>Pulls everything <paramref name="from"/> has that this replica lacks, batch by batch.</summary>
    public int PullFrom(Replica from)
    {
        from.Db.Capture();
        int batches = 0;
        var inbound = new Inbound(new SyncEndpoint(Db), from.Site, AgentRole.Peer);
        new Outbound(new SyncEndpoint(from.Db), Site, AgentRole.Peer, peerDisclaimed: Db.Disclaimed).Send(Db.Vector, batch =>
        {
            inbound.Receive(batch.Payload);
            batches++;
        }, TestContext.Current.CancellationToken);

        return batches;
    }

    public void Reopen(TimeProvider? time = null)
    {
        Db.Dispose();
        Db = SyncDatabase.Open(Path, new SyncDatabaseOptions { Time = time ?? TimeProvider.System });
    }

    public void Dispose()
    {
        Db.Dispose();
        App.Dispose();
    }
}
