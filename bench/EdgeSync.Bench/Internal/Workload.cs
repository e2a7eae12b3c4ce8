using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// What an application does to the database, through a plain Microsoft.Data.Sqlite connection that knows nothing of
/// EdgeSync: telemetry rows into <c>t(id INTEGER PRIMARY KEY, device TEXT, ts INTEGER, value REAL)</c>, one prepared
/// statement with parameters, <see cref="RowsPerTransaction"/> rows per transaction.
/// </summary>
internal static class Workload
{
    public const int RowsPerTransaction = 10_000;

    public const string CreateTable = "CREATE TABLE t(id INTEGER PRIMARY KEY, device TEXT, ts INTEGER, value REAL)";

    private static readonly string[] Devices = Enumerable.Range(0, 100).Select(i => $"dev-{i}").ToArray();

    /// <summary>Opens an application connection with the same durability as the engine's: WAL, synchronous=NORMAL.</summary>
    public static SqliteConnection OpenApp(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        Exec(c, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        return c;
    }

    public static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Inserts ids <paramref name="firstId"/> .. <paramref name="firstId"/> + <paramref name="count"/> - 1, in increasing order.</summary>
    public static void Insert(SqliteConnection c, long firstId, int count)
    {
        using var ins = c.CreateCommand();
        ins.CommandText = "INSERT INTO t(id, device, ts, value) VALUES ($id, $device, $ts, $value)";
        var id = ins.Parameters.Add("$id", SqliteType.Integer);
        var device = ins.Parameters.Add("$device", SqliteType.Text);
        var ts = ins.Parameters.Add("$ts", SqliteType.Integer);
        var value = ins.Parameters.Add("$value", SqliteType.Real);
        ins.Prepare();
        long end = firstId + count;
        for (long next = firstId; next < end;)
        {
            using var tx = c.BeginTransaction();
            ins.Transaction = tx;
            long stop = Math.Min(end, next + RowsPerTransaction);
            for (; next < stop; next++)
            {
                id.Value = next;
                device.Value = Devices[next % Devices.Length];
                ts.Value = next * 1000;
                value.Value = next * 0.5;
                ins.ExecuteNonQuery();
            }

            tx.Commit();
        }
    }

    /// <summary>
    /// Updates ids <paramref name="firstId"/> .. <paramref name="firstId"/> + <paramref name="count"/> - 1: odd ids
    /// get a new <c>value</c>, even ids a new <c>value</c> and <c>ts</c>.
    /// </summary>
    public static void Update(SqliteConnection c, long firstId, int count)
    {
        using var one = c.CreateCommand();
        one.CommandText = "UPDATE t SET value = $value WHERE id = $id";
        var oneId = one.Parameters.Add("$id", SqliteType.Integer);
        var oneValue = one.Parameters.Add("$value", SqliteType.Real);
        one.Prepare();
        using var two = c.CreateCommand();
        two.CommandText = "UPDATE t SET value = $value, ts = $ts WHERE id = $id";
        var twoId = two.Parameters.Add("$id", SqliteType.Integer);
        var twoValue = two.Parameters.Add("$value", SqliteType.Real);
        var twoTs = two.Parameters.Add("$ts", SqliteType.Integer);
        two.Prepare();
        long end = firstId + count;
        for (long next = firstId; next < end;)
        {
            using var tx = c.BeginTransaction();
            one.Transaction = tx;
            two.Transaction = tx;
            long stop = Math.Min(end, next + RowsPerTransaction);
            for (; next < stop; next++)
            {
                int changed;
                if (next % 2 == 1)
                {
                    oneId.Value = next;
                    oneValue.Value = next * -0.25;
                    changed = one.ExecuteNonQuery();
                }
                else
                {
                    twoId.Value = next;
                    twoValue.Value = next * -0.25;
                    twoTs.Value = next * 1000 + 1;
                    changed = two.ExecuteNonQuery();
                }

                BenchmarkFailedException.Check(changed == 1, $"UPDATE of id {next} changed {changed} rows, expected 1");
            }

            tx.Commit();
        }
    }
}
