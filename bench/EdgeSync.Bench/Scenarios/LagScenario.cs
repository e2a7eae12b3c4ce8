using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Replication lag under sustained ingest: the application commits 1,000 rows every 10 ms (100,000 rows/s; --rate
/// changes the rows per transaction, not the period) into an
/// <c>append</c> table on agent A for a fixed time; agent B (A as its peer) pulls. Each transaction's commit time is
/// recorded on A's side (and written into its rows' <c>ts</c>, µs since the run started); a reader polls B's file
/// every 5 ms for <c>max(id)</c>, and every transaction whose last id has become visible gets lag = now − commit.
/// The agents' CPU time (the process's, less the writer's and the reader's threads: capture, extraction, transport
/// and apply on both agents together) is reported per million rows, a figure less sensitive to a noisy machine than
/// the lag.
/// </summary>
internal static class LagScenario
{
    public const int DefaultRate = 100_000;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private static readonly string[] Devices = Enumerable.Range(0, 100).Select(i => $"dev-{i}").ToArray();

    private sealed record Measurement(double IngestRowsPerSecond, double P50, double P99, double Max, long Rows, double AgentCpuSecondsPerMillionRows);

    public static LagReport Run(int seconds, int runs, int rate)
    {
        int perTransaction = Math.Max(1, (int)(rate * Period.TotalSeconds));
        RunOnceAsync(Math.Min(seconds, 3), perTransaction).GetAwaiter().GetResult(); // JIT; not reported
        var results = new List<Measurement>();
        for (int run = 0; run < runs; run++)
        {
            var m = RunOnceAsync(seconds, perTransaction).GetAwaiter().GetResult();
            results.Add(m);
            Report.Progress($"lag run {run + 1}/{runs}: ingest {m.IngestRowsPerSecond:N0} rows/s, p50 {m.P50:N1} ms, p99 {m.P99:N1} ms, max {m.Max:N1} ms, "
                + $"agents' CPU {m.AgentCpuSecondsPerMillionRows:N2} s per million rows");
        }

        double Med(Func<Measurement, double> f) => Math.Round(Stats.Median(results.Select(f)), 1);
        return new LagReport("lag", Math.Round(Stats.Median(results.Select(m => m.IngestRowsPerSecond))), Med(m => m.P50), Med(m => m.P99), runs,
            seconds, perTransaction / Period.TotalSeconds, perTransaction, Med(m => m.Max), results[0].Rows,
            Math.Round(Stats.Median(results.Select(m => m.AgentCpuSecondsPerMillionRows)), 2));
    }

    private static async Task<Measurement> RunOnceAsync(int seconds, int perTransaction)
    {
        using var dir = new TempDirectory("lag");
        string pathA = dir.Database("a");
        string pathB = dir.Database("b");
        Replica.Create(pathA, SyncRun.SiteA, TablePolicy.Append);
        Replica.Create(pathB, SyncRun.SiteB, TablePolicy.Append);
        await using var a = await InProcessAgent.StartAsync(pathA, SyncRun.SiteA, []).ConfigureAwait(false);
        await using var b = await InProcessAgent.StartAsync(pathB, SyncRun.SiteB, [a.GrpcUrl]).ConfigureAwait(false);
        await Task.Delay(1_000).ConfigureAwait(false);

        int transactions = (int)(seconds / Period.TotalSeconds);
        var committedAt = new long[transactions]; // Stopwatch ticks; 0 = not yet committed
        var lags = new double[transactions];
        var clock = Stopwatch.StartNew();
        long ingestTicks = 0;
        var writerCpu = TimeSpan.Zero;
        var processCpu = Environment.CpuUsage.TotalTime;
        var readerCpu = ThreadCpu.Now();
        var writer = new Thread(() =>
        {
            var start = ThreadCpu.Now();
            ingestTicks = Write(pathA, committedAt, clock, perTransaction);
            writerCpu = ThreadCpu.Now() - start;
        }) { Name = "lag-writer", IsBackground = true };
        writer.Start();

        using (var readerB = new ReplicaReader(pathB))
        {
            int seen = 0; // transactions whose last row B has
            var deadline = TimeSpan.FromSeconds(seconds + 60);
            while (seen < transactions)
            {
                Thread.Sleep(Poll);
                long maxId = readerB.MaxId();
                long now = clock.ElapsedTicks;
                for (; seen < transactions && (long)(seen + 1) * perTransaction <= maxId; seen++)
                {
                    long commit;
                    while ((commit = Volatile.Read(ref committedAt[seen])) == 0)
                    {
                        Thread.Yield(); // committed, but the writer has not stored the time yet (a few µs)
                    }

                    lags[seen] = (now - commit) * 1000.0 / Stopwatch.Frequency;
                }

                BenchmarkFailedException.Check(clock.Elapsed < deadline, $"B has {seen} of {transactions} transactions after {clock.Elapsed.TotalSeconds:N0} s");
            }

            writer.Join();
            readerCpu = ThreadCpu.Now() - readerCpu;
            double agentCpu = (Environment.CpuUsage.TotalTime - processCpu - writerCpu - readerCpu).TotalSeconds;
            long rows = (long)transactions * perTransaction;
            long countB = readerB.Count();
            BenchmarkFailedException.Check(countB == rows, $"B holds {countB} rows, expected {rows}");
            using var readerA = new ReplicaReader(pathA);
            string fa = readerA.Fingerprint();
            string fb = readerB.Fingerprint();
            BenchmarkFailedException.Check(fa == fb, $"A and B differ: A {fa}, B {fb}");
            Array.Sort(lags);
            double ingest = rows / (ingestTicks / (double)Stopwatch.Frequency);
            return new Measurement(ingest, Percentile(lags, 0.50), Percentile(lags, 0.99), lags[^1], rows, Math.Round(agentCpu * 1e6 / rows, 2));
        }
    }

    /// <summary>Commits transaction k at start + k × 10 ms (at once when behind); returns the ticks from first begin to last commit.</summary>
    private static long Write(string path, long[] committedAt, Stopwatch clock, int perTransaction)
    {
        using var app = Workload.OpenApp(path);
        using var ins = app.CreateCommand();
        ins.CommandText = "INSERT INTO t(id, device, ts, value) VALUES ($id, $device, $ts, $value)";
        var id = ins.Parameters.Add("$id", SqliteType.Integer);
        var device = ins.Parameters.Add("$device", SqliteType.Text);
        var ts = ins.Parameters.Add("$ts", SqliteType.Integer);
        var value = ins.Parameters.Add("$value", SqliteType.Real);
        ins.Prepare();
        long start = clock.ElapsedTicks;
        long periodTicks = (long)(Period.TotalSeconds * Stopwatch.Frequency);
        for (int k = 0; k < committedAt.Length; k++)
        {
            long due = start + k * periodTicks;
            long wait = due - clock.ElapsedTicks;
            if (wait > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
            }

            long micros = clock.ElapsedTicks * 1_000_000 / Stopwatch.Frequency;
            using var tx = app.BeginTransaction();
            ins.Transaction = tx;
            for (int i = 1; i <= perTransaction; i++)
            {
                long next = (long)k * perTransaction + i;
                id.Value = next;
                device.Value = Devices[next % Devices.Length];
                ts.Value = micros;
                value.Value = next * 0.5;
                ins.ExecuteNonQuery();
            }

            tx.Commit();
            Volatile.Write(ref committedAt[k], clock.ElapsedTicks);
        }

        return Volatile.Read(ref committedAt[^1]) - start;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
