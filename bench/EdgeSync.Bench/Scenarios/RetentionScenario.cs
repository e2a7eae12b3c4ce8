using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Compaction;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Does retention stall writers? An application inserts 1,000-row transactions into an <c>append</c> table for a fixed
/// time while a capture loop seals them every 10 ms (as the agent does). In the pruning variant a retention loop keeps
/// the table at <see cref="MaxRows"/> rows the way the agent's does: batches of <see cref="BatchRows"/> rows, each its
/// own write transaction, 5 ms apart, a hub that holds everything captured (its vector is recorded before each pass).
/// The table starts with <see cref="Prefill"/> rows, so pruning has a backlog from the first second.
/// </summary>
internal static class RetentionScenario
{
    private const string Site = "f1/bench";
    private const int Prefill = 200_000;
    private const long MaxRows = 100_000;
    private const int BatchRows = 2_000;

    public static RetentionReport Run(int seconds, int runs)
    {
        RunOnce(prune: false, 1);
        RunOnce(prune: true, 1);
        var plain = new List<double>();
        var pruning = new List<double>();
        var pruned = new List<double>();
        var ratios = new List<double>();
        for (int round = 0; round < runs; round++)
        {
            foreach (bool prune in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var (rate, prunedPerS) = RunOnce(prune, seconds);
                (prune ? pruning : plain).Add(rate);
                if (prune)
                {
                    pruned.Add(prunedPerS);
                }

                Report.Progress($"retention round {round + 1}/{runs} {(prune ? "pruning" : "plain"),-8} {rate,12:N0} rows/s  pruned {prunedPerS,10:N0} rows/s");
            }

            ratios.Add(pruning[round] / plain[round]);
        }

        return new RetentionReport("retention", seconds, runs, MaxRows, BatchRows,
            Math.Round(Stats.Median(plain)), Math.Round(Stats.Median(pruning)), Math.Round(Stats.Median(ratios), 3), Math.Round(Stats.Median(pruned)));
    }

    private static (double RowsPerSecond, double PrunedPerSecond) RunOnce(bool prune, int seconds)
    {
        using var file = new TempDatabase(prune ? "retention-pruning" : "retention-plain");
        using var app = Workload.OpenApp(file.Path);
        Workload.Exec(app, Workload.CreateTable);
        using var db = SyncDatabase.Open(file.Path, new SyncDatabaseOptions { SiteId = Site });
        db.EnableTable("t", TablePolicy.Append);
        Workload.Insert(app, 1, Prefill);
        db.Capture();

        using var stop = new CancellationTokenSource();
        var capture = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                db.Capture();
                Thread.Sleep(10);
            }
        });
        long prunedRows = 0;
        var policy = new RetentionPolicy { MaxRows = MaxRows };
        var pruner = Task.Run(() =>
        {
            while (prune && !stop.IsCancellationRequested)
            {
                db.RecordPeerVector("hq/hub", db.Vector);
                var held = db.HeldAt(AckLevel.Hub);
                PruneResult r;
                do
                {
                    r = db.Prune("t", policy, held, BatchRows);
                    prunedRows += r.Rows;
                    Thread.Sleep(5);
                }
                while (r.More && !stop.IsCancellationRequested);
                Thread.Sleep(50);
            }
        });

        long next = Prefill + 1;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            Workload.Insert(app, next, 1_000);
            next += 1_000;
        }

        clock.Stop();
        stop.Cancel();
        Task.WaitAll(capture, pruner);

        long inserted = next - Prefill - 1;
        long count = Workload.Scalar(app, "SELECT count(*) FROM t");
        long newest = Workload.Scalar(app, "SELECT max(id) FROM t");
        BenchmarkFailedException.Check(newest == next - 1, $"the newest row is {newest}, expected {next - 1}");
        BenchmarkFailedException.Check(prune ? count >= MaxRows && count + prunedRows == Prefill + inserted : count == Prefill + inserted,
            $"{(prune ? "pruning" : "plain")}: {count} rows left, {prunedRows} pruned, {Prefill + inserted} written");
        return (inserted / clock.Elapsed.TotalSeconds, prunedRows / clock.Elapsed.TotalSeconds);
    }
}
