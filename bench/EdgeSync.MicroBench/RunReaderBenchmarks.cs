using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using EdgeSync.Clocks;
using EdgeSync.Extract;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.MicroBench;

/// <summary>
/// <c>RunReader.Read</c>: one insert run of 20,000 rows of <c>t(id, device, ts, value)</c> read from a SQLite file
/// (in the page cache after the first iteration) into unboxed columns, as extraction does for <c>append</c> tables.
/// </summary>
[MemoryDiagnoser]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the connection and reader.")]
public class RunReaderBenchmarks
{
    private string _directory = "";
    private SqliteConnection _db = null!;
    private RunReader _reader = null!;
    private TableInfo _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edgesync-microbench-").FullName;
        _db = new SqliteConnection($"Data Source={Path.Combine(_directory, "a.db")};Pooling=False");
        _db.Open();
        using (var create = _db.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t(id INTEGER PRIMARY KEY, device TEXT, ts INTEGER, value REAL)";
            create.ExecuteNonQuery();
        }

        using (var tx = _db.BeginTransaction())
        using (var insert = _db.CreateCommand())
        {
            insert.CommandText = "INSERT INTO t VALUES ($id, $device, $ts, $value)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var device = insert.Parameters.Add("$device", SqliteType.Text);
            var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
            var value = insert.Parameters.Add("$value", SqliteType.Real);
            for (int i = 0; i < SampleBatches.RunRows; i++)
            {
                id.Value = i + 1L;
                device.Value = SampleBatches.Device(i);
                ts.Value = SampleBatches.Ts(i);
                value.Value = SampleBatches.Value(i);
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        _reader = new RunReader(_db);
        _table = new TableInfo("t", 1, TablePolicy.Append, CaptureMode.RowidScan, SampleBatches.Columns, [0]);
        if (Read()?.Count != SampleBatches.RunRows)
        {
            throw new InvalidOperationException("the run reader did not read every row of the sample table");
        }
    }

    [Benchmark]
    public InsertRun? Read() =>
        _reader.Read(_table, 1, SampleBatches.RunRows, SampleBatches.RunRows, "factory-1/pod-0", Hlc.From(1_765_000_000_000, 0), 1, 1);

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _db.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
