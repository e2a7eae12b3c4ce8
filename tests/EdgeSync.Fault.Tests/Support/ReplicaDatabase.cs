using Microsoft.Data.Sqlite;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>A replica's database file as an application sees it: plain SQL through its own connection, no EdgeSync.</summary>
public static class ReplicaDatabase
{
    public const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS telemetry(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT, updated_by TEXT);
        """;

    /// <summary>Ids of one factory are <c>factory × FactoryIdSpan + …</c>, so any replica's rows can be told apart by origin factory.</summary>
    public const long FactoryIdSpan = 1_000_000_000;

    /// <summary>Creates the application's tables (what exists before anyone runs <c>edgesync init</c>).</summary>
    public static void CreateApplicationTables(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadWriteCreate);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Schema;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Per origin factory: rows, distinct ids and the sum of ids — the checksum the replicas must agree on.</summary>
    public static IReadOnlyDictionary<long, RowSummary> Summarize(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadOnly);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT id / {FactoryIdSpan}, count(*), count(DISTINCT id), total(id) FROM telemetry GROUP BY 1 ORDER BY 1";
        using var reader = cmd.ExecuteReader();
        var result = new Dictionary<long, RowSummary>();
        while (reader.Read())
        {
            result[reader.GetInt64(0)] = new RowSummary(reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3));
        }

        return result;
    }

    /// <summary>Every telemetry id in the file.</summary>
    public static HashSet<long> Ids(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadOnly);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id FROM telemetry";
        using var reader = cmd.ExecuteReader();
        var ids = new HashSet<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = 10,
        }.ToString());
        connection.Open();
        return connection;
    }
}

/// <summary>Rows of one origin in one replica: count, distinct ids (a duplicate makes them differ) and the sum of ids.</summary>
public readonly record struct RowSummary(long Count, long DistinctIds, double IdTotal)
{
    public override string ToString() => $"{Count} rows, {DistinctIds} distinct, Σid {IdTotal:0}";
}
