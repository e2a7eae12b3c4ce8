using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Whether the cost of a round grows with the changes or with the table: A holds a large <c>lww</c> table (built in
/// one transaction, captured once), B pulled all of it once (engine to engine, untimed). Each measured round, the
/// application updates 100 rows spread over the table on A (one transaction); the round that ships them to B is
/// timed: <c>A.Capture()</c>, <c>A.GetChanges(B.Vector)</c>, encode + decode, <c>B.Apply</c>.
/// </summary>
internal static class GrowthScenario
{
    public const int ChangedRows = 100;

    private sealed record Measurement(double CaptureMs, double ExtractMs, double CodecMs, double ApplyMs)
    {
        public double TotalMs => CaptureMs + ExtractMs + CodecMs + ApplyMs;
    }

    public static GrowthReport Run(int rows, int runs)
    {
        BenchmarkFailedException.Check(rows >= ChangedRows * 10, $"--rows must be at least {ChangedRows * 10}");
        using var fileA = new TempDatabase("growth-a");
        using var fileB = new TempDatabase("growth-b");
        Replica.Create(fileA.Path, SyncRun.SiteA, TablePolicy.Lww);
        Replica.Create(fileB.Path, SyncRun.SiteB, TablePolicy.Lww);
        using var a = SyncDatabase.Open(fileA.Path);
        using var b = SyncDatabase.Open(fileB.Path);
        using var appA = Workload.OpenApp(fileA.Path);

        var clock = Stopwatch.StartNew();
        InsertOneTransaction(appA, rows);
        a.Capture();
        double buildSeconds = clock.Elapsed.TotalSeconds;
        Report.Progress($"growth: built {rows:N0} rows on A in {buildSeconds:N1} s");

        clock.Restart();
        long pulled = 0;
        foreach (var batch in a.GetChanges(b.Vector))
        {
            pulled += b.Apply(batch, SyncRun.SiteA).Applied;
        }

        double initialSeconds = clock.Elapsed.TotalSeconds;
        BenchmarkFailedException.Check(pulled == rows, $"B applied {pulled} of {rows} rows in the initial sync");
        Report.Progress($"growth: B pulled {rows:N0} rows in {initialSeconds:N1} s");

        var random = new Random(42);
        var results = new List<Measurement>();
        for (int run = -2; run < runs; run++) // two unreported rounds: JIT
        {
            var ids = Enumerable.Range(0, ChangedRows).Select(_ => random.NextInt64(1, rows + 1)).Distinct().ToList();
            while (ids.Count < ChangedRows)
            {
                ids = ids.Append(random.NextInt64(1, rows + 1)).Distinct().ToList();
            }

            Update(appA, ids, run);
            var m = Round(a, b);
            if (run >= 0)
            {
                results.Add(m);
                Report.Progress($"growth round {run + 1}/{runs}: {m.TotalMs:N2} ms (capture {m.CaptureMs:N2}, extract {m.ExtractMs:N2}, codec {m.CodecMs:N2}, apply {m.ApplyMs:N2})");
            }
        }

        clock.Restart();
        string sumA = a.Checksum();
        string sumB = b.Checksum();
        BenchmarkFailedException.Check(sumA == sumB, $"checksums differ after the rounds: A {sumA}, B {sumB}");
        Report.Progress($"growth: checksums equal ({clock.Elapsed.TotalSeconds:N1} s to compute)");

        double Med(Func<Measurement, double> f) => Math.Round(Stats.Median(results.Select(f)), 2);
        return new GrowthReport("growth", rows, ChangedRows, Med(m => m.TotalMs), runs,
            Med(m => m.CaptureMs), Med(m => m.ExtractMs), Med(m => m.CodecMs), Med(m => m.ApplyMs), Math.Round(results.Max(m => m.TotalMs), 2),
            Math.Round(buildSeconds, 1), Math.Round(initialSeconds, 1));
    }

    private static Measurement Round(SyncDatabase a, SyncDatabase b)
    {
        long t0 = Stopwatch.GetTimestamp();
        var captured = a.Capture();
        long t1 = Stopwatch.GetTimestamp();
        var batches = a.GetChanges(b.Vector).ToList();
        long t2 = Stopwatch.GetTimestamp();
        var decoded = batches.Select(x => BatchCodec.Decode(BatchCodec.Encode(x))).ToList();
        long t3 = Stopwatch.GetTimestamp();
        int applied = 0;
        foreach (var batch in decoded)
        {
            applied += b.Apply(batch, SyncRun.SiteA).Applied;
        }

        long t4 = Stopwatch.GetTimestamp();
        BenchmarkFailedException.Check(captured.Changes == ChangedRows, $"A captured {captured.Changes} changes, expected {ChangedRows}");
        int shipped = batches.Sum(x => x.RowCount);
        BenchmarkFailedException.Check(shipped == ChangedRows, $"A extracted {shipped} row changes for B, expected {ChangedRows}");
        BenchmarkFailedException.Check(applied == ChangedRows, $"B applied {applied} of {ChangedRows} row changes");
        static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
        return new Measurement(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4));
    }

    /// <summary>All rows in one transaction with one prepared statement (the fast way to build a big table).</summary>
    internal static void InsertOneTransaction(SqliteConnection app, int rows)
    {
        using var ins = app.CreateCommand();
        ins.CommandText = "INSERT INTO t(id, device, ts, value) VALUES ($id, $device, $ts, $value)";
        var id = ins.Parameters.Add("$id", SqliteType.Integer);
        var device = ins.Parameters.Add("$device", SqliteType.Text);
        var ts = ins.Parameters.Add("$ts", SqliteType.Integer);
        var value = ins.Parameters.Add("$value", SqliteType.Real);
        ins.Prepare();
        using var tx = app.BeginTransaction();
        ins.Transaction = tx;
        for (long next = 1; next <= rows; next++)
        {
            id.Value = next;
            device.Value = "dev-" + (next % 100).ToString(System.Globalization.CultureInfo.InvariantCulture);
            ts.Value = next * 1000;
            value.Value = next * 0.5;
            ins.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static void Update(SqliteConnection app, IReadOnlyList<long> ids, int run)
    {
        using var tx = app.BeginTransaction();
        using var cmd = app.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "UPDATE t SET value = $value WHERE id = $id";
        var id = cmd.Parameters.Add("$id", SqliteType.Integer);
        var value = cmd.Parameters.Add("$value", SqliteType.Real);
        foreach (long x in ids)
        {
            id.Value = x;
            value.Value = -x - run * 0.001;
            BenchmarkFailedException.Check(cmd.ExecuteNonQuery() == 1, $"UPDATE of id {x} changed no row");
        }

        tx.Commit();
    }
}
