using System.Diagnostics;
using EdgeSync.Bench.Internal;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// A write into a few of many databases: agents A and B (<see cref="ChildPair"/>, each its own <c>edgesync serve</c>
/// process) host the same N databases; once both have synced every database and settled for
/// <see cref="Settle"/>, the application commits one row into each of 20 databases on A (spread over the N, a
/// different 20 each run), one after another, and a reader polls those 20 files on B every 5 ms until each holds its
/// row. Lag per database = first poll that sees the row − its commit. The one-database case (the row written 20 times
/// into the one database, one commit at a time) runs first in the same invocation.
/// </summary>
internal static class ManyDbScenario
{
    public const int Written = 20;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BetweenRuns = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    public static ManyDbReport Run(int databases, int runs, int _)
    {
        var sizes = new List<ManyDbSize>();
        foreach (int n in databases > 1 ? new[] { 1, databases } : [1])
        {
            sizes.Add(RunSizeAsync(n, runs).GetAwaiter().GetResult());
        }

        return new ManyDbReport("manydb", Written, runs, sizes);
    }

    private static async Task<ManyDbSize> RunSizeAsync(int databases, int runs)
    {
        using var dir = new TempDirectory("manydb");
        using var pair = await ChildPair.StartAsync(dir, databases).ConfigureAwait(false);
        await Task.Delay(Settle).ConfigureAwait(false);
        var lags = new List<double>();
        long nextId = 1;
        for (int run = 0; run < runs; run++)
        {
            // 20 databases spread over the N (the same one 20 times when N is 1), shifted each run.
            var targets = Enumerable.Range(0, Written).Select(i => (i * databases / Written + run) % databases).ToList();
            var clock = Stopwatch.StartNew();
            var expected = new List<(int Db, long Id, double CommittedMs)>();
            foreach (int db in targets)
            {
                using var app = Workload.OpenApp(pair.PathsA[db]);
                long id = nextId++;
                Workload.Exec(app, FormattableString.Invariant($"INSERT INTO t(id, device, ts, value) VALUES ({id}, 'manydb', {id}, 0.5)"));
                expected.Add((db, id, clock.Elapsed.TotalMilliseconds));
                if (databases == 1)
                {
                    await WaitAsync(pair, expected, lags, clock).ConfigureAwait(false); // one commit at a time into the one database
                    expected.Clear();
                }
            }

            await WaitAsync(pair, expected, lags, clock).ConfigureAwait(false);
            Report.Progress($"manydb {databases} databases, run {run + 1}/{runs}: p99 so far {Stats.Percentile(lags, 0.99):N1} ms");
            await Task.Delay(BetweenRuns).ConfigureAwait(false);
        }

        return new ManyDbSize(databases, lags.Count, Math.Round(Stats.Percentile(lags, 0.5), 1), Math.Round(Stats.Percentile(lags, 0.99), 1),
            Math.Round(lags.Max(), 1));
    }

    private static async Task WaitAsync(ChildPair pair, List<(int Db, long Id, double CommittedMs)> expected, List<double> lags, Stopwatch clock)
    {
        var readers = expected.Select(e => (e, Reader: new ReplicaReader(pair.PathsB[e.Db]))).ToList();
        try
        {
            var deadline = clock.Elapsed + TimeSpan.FromSeconds(60);
            while (readers.Count > 0)
            {
                await Task.Delay(Poll).ConfigureAwait(false);
                double now = clock.Elapsed.TotalMilliseconds;
                foreach (var r in readers.Where(r => r.Reader.MaxId() >= r.e.Id).ToList())
                {
                    lags.Add(now - r.e.CommittedMs);
                    r.Reader.Dispose();
                    readers.Remove(r);
                }

                BenchmarkFailedException.Check(clock.Elapsed < deadline,
                    $"{readers.Count} rows not at B 60 s after their commit on A:\n{pair.A.Tail()}\n{pair.B.Tail()}");
            }
        }
        finally
        {
            foreach (var r in readers)
            {
                r.Reader.Dispose();
            }
        }
    }
}
