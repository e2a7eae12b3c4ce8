using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// What capture costs the application's writes: the same insert loop into a fresh file with no EdgeSync, with the
/// table enabled as <c>append</c>, and as <c>lww</c>. Only the insert loop is timed for the ratio; sealing the
/// captured rows (<see cref="SyncDatabase.Capture"/>) afterwards is timed and reported on its own. With a unique index
/// (<c>capture-unique</c>), every variant's table has <c>UNIQUE(ts)</c> besides its key, raw included: the index's own
/// cost is in the baseline, and the ratio shows what capture adds (an lww table's guard against <c>INSERT OR REPLACE</c>
/// through that index probes it before each insert).
/// </summary>
internal static class CaptureScenario
{
    private const string Site = "site-a";

    private enum Variant
    {
        Raw,
        Append,
        Lww,
    }

    private sealed record Measurement(double RowsPerSecond, double SealMs, long InsertTriggers);

    public static CaptureReport Run(int rows, int runs) => Run(rows, runs, unique: false);

    public static CaptureReport RunUnique(int rows, int runs) => Run(rows, runs, unique: true);

    private static CaptureReport Run(int rows, int runs, bool unique)
    {
        Variant[] variants = [Variant.Raw, Variant.Append, Variant.Lww];
        // One unreported round at full size: after a 20K-row warm-up the first measured run was still 10-35 % slow
        // (cause not pinned down), and that run is raw's in round one, which would flatter the ratios.
        foreach (var v in variants)
        {
            RunOnce(v, rows, unique);
        }

        var results = variants.ToDictionary(v => v, _ => new List<Measurement>());
        var appendRatios = new List<double>();
        var lwwRatios = new List<double>();
        for (int round = 0; round < runs; round++)
        {
            // Rotate the order each round so no variant always runs first (or last) on a noisy machine.
            foreach (var v in variants.Skip(round % 3).Concat(variants.Take(round % 3)))
            {
                var m = RunOnce(v, rows, unique);
                results[v].Add(m);
                Report.Progress($"capture round {round + 1}/{runs} {v,-6} {m.RowsPerSecond,12:N0} rows/s  seal {m.SealMs,8:N1} ms");
            }

            double raw = results[Variant.Raw][round].RowsPerSecond;
            appendRatios.Add(results[Variant.Append][round].RowsPerSecond / raw);
            lwwRatios.Add(results[Variant.Lww][round].RowsPerSecond / raw);
        }

        double Rate(Variant v) => Math.Round(Stats.Median(results[v].Select(m => m.RowsPerSecond)));
        double Seal(Variant v) => Math.Round(Stats.Median(results[v].Select(m => m.SealMs)), 1);
        return new CaptureReport(
            unique ? "capture-unique" : "capture", rows, runs,
            Rate(Variant.Raw), Rate(Variant.Append), Rate(Variant.Lww),
            Math.Round(Stats.Median(appendRatios), 3), Math.Round(Stats.Median(lwwRatios), 3),
            Seal(Variant.Append), Seal(Variant.Lww),
            results[Variant.Append][0].InsertTriggers, results[Variant.Lww][0].InsertTriggers);
    }

    private static Measurement RunOnce(Variant variant, int rows, bool unique)
    {
        using var file = new TempDatabase($"capture-{variant.ToString().ToLowerInvariant()}");
        using var app = Workload.OpenApp(file.Path);
        Workload.Exec(app, Workload.CreateTable);
        if (unique)
        {
            Workload.Exec(app, "CREATE UNIQUE INDEX t_ts ON t(ts)");
        }

        using var db = variant == Variant.Raw ? null : SyncDatabase.Open(file.Path, new SyncDatabaseOptions { SiteId = Site });
        db?.EnableTable("t", variant == Variant.Append ? TablePolicy.Append : TablePolicy.Lww);
        long insertTriggers = Workload.Scalar(app,
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 't' AND sql LIKE '% INSERT ON %'");

        var insert = Stopwatch.StartNew();
        Workload.Insert(app, 1, rows);
        insert.Stop();

        long count = Workload.Scalar(app, "SELECT count(*) FROM t");
        BenchmarkFailedException.Check(count == rows, $"{variant}: table holds {count} rows after inserting {rows}");
        double sealMs = 0;
        if (db is not null)
        {
            var seal = Stopwatch.StartNew();
            var captured = db.Capture();
            seal.Stop();
            sealMs = seal.Elapsed.TotalMilliseconds;
            BenchmarkFailedException.Check(captured.Changes == rows,
                $"{variant}: Capture() sealed {captured.Changes} changes after {rows} inserts");
            long seq = db.Vector[Site];
            BenchmarkFailedException.Check(seq >= rows, $"{variant}: Vector[{Site}] is {seq} after capturing {rows} inserts");
        }

        return new Measurement(rows / insert.Elapsed.TotalSeconds, sealMs, insertTriggers);
    }
}
