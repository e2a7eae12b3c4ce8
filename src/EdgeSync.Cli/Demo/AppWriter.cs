using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// The application on one replica, writing its database with a plain SQLite connection (EdgeSync captures the
/// writes through its triggers): telemetry at a steady rate in small transactions, and at every config tick, together
/// with the writers of a few other replicas, an update of the same config key (concurrent writes, so conflicts).
/// </summary>
internal sealed class AppWriter
{
    /// <summary>Telemetry ids are unique across the fleet: replica index × 10¹² + a per-replica counter.</summary>
    public const long IdsPerReplica = 1_000_000_000_000;

    /// <summary>The config keys every replica fights over.</summary>
    public static readonly string[] ConfigKeys = ["sampling_interval_ms", "alarm_threshold", "firmware_channel"];

    /// <summary>How many replicas update the same key at each config tick.</summary>
    private const int ConcurrentConfigWriters = 3;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly DemoReplica _replica;
    private readonly int _replicaCount;
    private readonly double _rowsPerSecond;
    private readonly TimeSpan _configInterval;
    private readonly Barrier _configTick;
    private readonly Random _random;
    private long _written;
    private long _configUpdates;

    public AppWriter(DemoReplica replica, int replicaCount, double rowsPerSecond, TimeSpan configInterval, Barrier configTick)
    {
        _replica = replica;
        _replicaCount = replicaCount;
        _rowsPerSecond = rowsPerSecond;
        _configInterval = configInterval;
        _configTick = configTick;
        _random = new Random(replica.Index); // demo data, not security: repeatable values per replica
    }

    /// <summary>Telemetry rows committed so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Config updates committed so far.</summary>
    public long ConfigUpdates => Interlocked.Read(ref _configUpdates);

    /// <summary>Seeds the config keys (run once, on one replica, before the demo starts).</summary>
    public static void SeedConfig(string path)
    {
        using var connection = DemoReplica.OpenConnection(path);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO config(key, value, updated_by) VALUES ($k, 'initial', 'seed')";
        var key = cmd.Parameters.Add("$k", SqliteType.Text);
        foreach (var k in ConfigKeys)
        {
            key.Value = k;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Writes until <paramref name="cancellationToken"/> is cancelled. <paramref name="start"/> is shared by all writers.</summary>
    public void Run(long start, CancellationToken cancellationToken)
    {
        using var connection = DemoReplica.OpenConnection(_replica.Path);
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO telemetry(id, device, ts, value) VALUES ($id, $device, $ts, $value)";
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var device = insert.Parameters.Add("$device", SqliteType.Text);
        var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
        var value = insert.Parameters.Add("$value", SqliteType.Real);
        insert.Prepare();

        long epoch = 0;
        long maxPerTransaction = Math.Max(1, (long)_rowsPerSecond);
        while (!cancellationToken.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            long due = Math.Min((long)(elapsed.TotalSeconds * _rowsPerSecond) - _written, maxPerTransaction);
            if (due > 0)
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (long i = 0; i < due; i++)
                {
                    long n = _written + i + 1;
                    id.Value = (_replica.Index * IdsPerReplica) + n;
                    device.Value = $"sensor-{_replica.Index}-{n % 8}";
                    ts.Value = now;
                    value.Value = Math.Round(20 + (_random.NextDouble() * 10), 3);
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
                Interlocked.Add(ref _written, due);
            }

            long tick = elapsed.Ticks / _configInterval.Ticks;
            if (tick > epoch)
            {
                epoch++; // one barrier phase per tick, even for a writer that fell behind, so phases never drift
                _configTick.SignalAndWait(cancellationToken); // the writers of all replicas reach this tick together
                if (UpdatesConfigAt(epoch))
                {
                    UpdateConfig(connection, epoch);
                }
            }

            cancellationToken.WaitHandle.WaitOne(Tick);
        }
    }

    private bool UpdatesConfigAt(long epoch)
    {
        long first = epoch % _replicaCount;
        long offset = (_replica.Index - first + _replicaCount) % _replicaCount;
        return offset < ConcurrentConfigWriters;
    }

    private void UpdateConfig(SqliteConnection connection, long epoch)
    {
        string key = ConfigKeys[epoch % ConfigKeys.Length];
        int r = _replica.Index;
        string newValue = key switch
        {
            "sampling_interval_ms" => $"{100 + (50 * r)}",
            "alarm_threshold" => $"{70 + r}.{epoch % 10}",
            _ => $"build-{epoch}-edge-{r}",
        };
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO config(key, value, updated_by) VALUES ($k, $v, $s) "
            + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", newValue);
        cmd.Parameters.AddWithValue("$s", _replica.Site);
        cmd.ExecuteNonQuery();
        Interlocked.Increment(ref _configUpdates);
    }
}
