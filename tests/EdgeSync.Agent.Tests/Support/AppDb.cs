using System.Text;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>The "application" side of a replica: plain SQLite writes and reads on the file, as another process would do.</summary>
public static class AppDb
{
    public const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS readings(id INTEGER PRIMARY KEY, device TEXT NOT NULL, ts INTEGER NOT NULL, value REAL);
        CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT, owner TEXT);
        CREATE TABLE IF NOT EXISTS items(id TEXT PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, photo BLOB);
        """;

    public static SqliteConnection Open(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Pooling=false;Default Timeout=30");
        c.Open();
        Exec(c, "PRAGMA busy_timeout=30000");
        return c;
    }

    public static void Create(string path)
    {
        using var c = Open(path);
        Exec(c, Schema);
    }

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

    public static void Exec(string path, string sql, params object?[] args)
    {
        using var c = Open(path);
        Exec(c, sql, args);
    }

    /// <summary>Inserts <paramref name="count"/> readings with ids from <paramref name="firstId"/>, in one transaction.</summary>
    public static void InsertReadings(string path, long firstId, int count, string device)
    {
        using var c = Open(path);
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO readings(id, device, ts, value) VALUES ($id, $d, $ts, $v)";
        var id = cmd.Parameters.Add("$id", SqliteType.Integer);
        cmd.Parameters.AddWithValue("$d", device);
        var ts = cmd.Parameters.Add("$ts", SqliteType.Integer);
        var v = cmd.Parameters.Add("$v", SqliteType.Real);
        for (int i = 0; i < count; i++)
        {
            id.Value = firstId + i;
            ts.Value = 1_700_000_000_000L + i;
            v.Value = i * 0.5;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public static long Count(string path, string table, string where = "1")
    {
        using var c = Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {table} WHERE {where}";
        return (long)cmd.ExecuteScalar()!;
    }

    public static object? Scalar(string path, string sql, params object?[] args)
    {
        using var c = Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            cmd.Parameters.AddWithValue($"${i + 1}", args[i] ?? DBNull.Value);
        }

        return cmd.ExecuteScalar();
    }

    /// <summary>Every row of the user tables, in key order, as text: equal dumps = equal contents.</summary>
    public static string Dump(string path, params string[] tables)
    {
        if (tables.Length == 0)
        {
            tables = ["readings", "settings", "items"];
        }

        using var c = Open(path);
        var sb = new StringBuilder();
        foreach (var t in tables)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM {t} ORDER BY 1";
            using var r = cmd.ExecuteReader();
            sb.Append('#').Append(t).Append('\n');
            while (r.Read())
            {
                for (int i = 0; i < r.FieldCount; i++)
                {
                    sb.Append(r.IsDBNull(i) ? "null" : r.GetValue(i) is byte[] b ? Convert.ToHexString(b) : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))
                        .Append('|');
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();
    }
}
