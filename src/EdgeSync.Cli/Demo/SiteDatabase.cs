using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// Reads a site's plant database as any other process would, with plain SQL on its own connection (the agent keeps
/// writing; WAL readers never block it).
/// </summary>
internal static class SiteDatabase
{
    /// <summary>Telemetry ids are unique across the fleet: factory × 10¹² + replica × 10⁹ + a per-replica counter.</summary>
    public const long IdsPerFactory = 1_000_000_000_000;

    /// <summary>Id block of one replica within its factory.</summary>
    public const long IdsPerReplica = 1_000_000_000;

    /// <summary>A plain connection, as an application would open one (no pooling, so files close on dispose).</summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode = SqliteOpenMode.ReadOnly)
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

    /// <summary>Telemetry rows of every origin.</summary>
    public static long CountTelemetry(SqliteConnection connection) => Scalar(connection, "SELECT count(*) FROM telemetry");

    /// <summary>Telemetry rows that <paramref name="factory"/>'s replicas ingested (an id range: a rowid range scan).</summary>
    public static long CountTelemetry(SqliteConnection connection, int factory)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM telemetry WHERE id >= $lo AND id < $hi";
        cmd.Parameters.AddWithValue("$lo", factory * IdsPerFactory);
        cmd.Parameters.AddWithValue("$hi", (factory + 1) * IdsPerFactory);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>
    /// The query for one config key's value (null when the site does not have it), prepared once on
    /// <paramref name="connection"/> and executed as often as needed; disposing it leaves the connection open.
    /// </summary>
    public static SqliteCommand ConfigQuery(SqliteConnection connection, string key)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM config WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Prepare();
        return cmd;
    }

    /// <summary>The whole content of a small lww table (key, value, updated_by) as one comparable string, rows ordered by key.</summary>
    public static string Digest(SqliteConnection connection, string table, string keyColumn, string valueColumn)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT group_concat(quote(k) || '=' || quote(v) || ' by ' || quote(u), char(10)) "
            + $"FROM (SELECT {keyColumn} AS k, {valueColumn} AS v, updated_by AS u FROM {table} ORDER BY {keyColumn})";
        return cmd.ExecuteScalar() as string ?? "";
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }
}
