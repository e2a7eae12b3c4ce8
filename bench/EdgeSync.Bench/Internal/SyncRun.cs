using System.Diagnostics;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// One run of the <c>sync</c> workload, shared by the sync and memory scenarios: the application inserts
/// <c>rows</c> into agent A's file (<see cref="Workload.Insert"/>, 10,000 rows per transaction); agent B has A as its
/// peer and pulls. Timed from the first insert until a read connection on B's file sees all rows (polled every
/// 20 ms: <c>max(id)</c>, then <c>count(*)</c> once the last id is there). The raw rate is the same insert loop on a
/// fresh file with no EdgeSync, measured just before, in the same process.
/// </summary>
internal static class SyncRun
{
    public const string SiteA = "site-a";
    public const string SiteB = "site-b";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public sealed record Result(double Seconds, double InsertSeconds, double RawRowsPerSecond, double PeakRssMiB, double IdleRssMiB);

    public static double RawRowsPerSecond(int rows)
    {
        using var file = new TempDatabase("raw");
        using var app = Workload.OpenApp(file.Path);
        Workload.Exec(app, Workload.CreateTable);
        var clock = Stopwatch.StartNew();
        Workload.Insert(app, 1, rows);
        double seconds = clock.Elapsed.TotalSeconds;
        long count = Workload.Scalar(app, "SELECT count(*) FROM t");
        BenchmarkFailedException.Check(count == rows, $"raw: table holds {count} rows after inserting {rows}");
        return rows / seconds;
    }

    /// <param name="childB">Run B as a separate <c>edgesync serve</c> process (and read its memory) instead of in this process.</param>
    public static async Task<Result> RunAsync(int rows, bool childB)
    {
        double raw = RawRowsPerSecond(rows);
        using var dir = new TempDirectory("sync");
        string pathA = dir.Database("a");
        string pathB = dir.Database("b");
        Replica.Create(pathA, SiteA, TablePolicy.Append);
        Replica.Create(pathB, SiteB, TablePolicy.Append);

        await using var a = await InProcessAgent.StartAsync(pathA, SiteA, []).ConfigureAwait(false);
        InProcessAgent? inProcessB = null;
        ChildAgent? child = null;
        try
        {
            if (childB)
            {
                child = ChildAgent.Start(pathB, SiteB, [a.GrpcUrl]);
            }
            else
            {
                inProcessB = await InProcessAgent.StartAsync(pathB, SiteB, [a.GrpcUrl]).ConfigureAwait(false);
            }

            // B's first (empty) round and its watch stream on A; a child process also starts its runtime here.
            await Task.Delay(childB ? 3_000 : 1_000).ConfigureAwait(false);
            BenchmarkFailedException.Check(child is null || !child.HasExited, $"agent B exited at start:{Environment.NewLine}{child?.Tail()}");
            double idleRss = child?.StatusMiB("VmRSS") ?? 0;

            using var readerB = new ReplicaReader(pathB);
            var clock = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(120 + rows / 5_000.0);
            var watcher = Task.Run(() => WaitForAll(readerB, rows, clock, deadline, child));
            using (var app = Workload.OpenApp(pathA))
            {
                Workload.Insert(app, 1, rows);
            }

            double insertSeconds = clock.Elapsed.TotalSeconds;
            double seconds = await watcher.ConfigureAwait(false);
            double peak = child is null ? 0 : child.StatusMiB("VmHWM");

            using var readerA = new ReplicaReader(pathA);
            long countA = readerA.Count();
            BenchmarkFailedException.Check(countA == rows, $"A holds {countA} rows, expected {rows}");
            string fa = readerA.Fingerprint();
            string fb = readerB.Fingerprint();
            BenchmarkFailedException.Check(fa == fb, $"A and B differ: A {fa}, B {fb}");
            return new Result(seconds, insertSeconds, raw, peak, idleRss);
        }
        finally
        {
            child?.Dispose();
            if (inProcessB is not null)
            {
                await inProcessB.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static double WaitForAll(ReplicaReader b, long rows, Stopwatch clock, TimeSpan deadline, ChildAgent? child)
    {
        while (true)
        {
            if (b.MaxId() >= rows)
            {
                long count = b.Count();
                BenchmarkFailedException.Check(count <= rows, $"B holds {count} rows, more than the {rows} written");
                if (count == rows)
                {
                    return clock.Elapsed.TotalSeconds;
                }
            }

            BenchmarkFailedException.Check(clock.Elapsed < deadline,
                $"B holds {b.Count()} of {rows} rows after {clock.Elapsed.TotalSeconds:N0} s{(child is null ? "" : Environment.NewLine + child.Tail())}");
            BenchmarkFailedException.Check(child is null || !child.HasExited, $"agent B exited:{Environment.NewLine}{child?.Tail()}");
            Thread.Sleep(Poll);
        }
    }
}
