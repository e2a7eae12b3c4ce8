using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// A replica returning after a long absence: replica A holds a backlog the returning replica B lacks — N rows in an
/// append table (4.2M by default: an hour at 1,200 rows/s) and N/84 rows in an lww table (50K) — captured on A
/// (<see cref="SyncDatabase.Capture"/>, as A's agent does) before either agent starts. Then A is started as an
/// <c>edgesync serve</c> process, and B as another with A as its peer; timed from B's start until a read connection
/// on B's file sees every row of both tables (polled every 100 ms), and the tables' fingerprints are compared.
/// The baseline is the same rows inserted into a file with no EdgeSync, in the same run.
/// </summary>
internal static class CatchupScenario
{
    private const string LwwTable = "CREATE TABLE s(id INTEGER PRIMARY KEY, name TEXT, value REAL)";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private sealed record Measurement(double Seconds, double RawSeconds, double RssB, double RssA);

    public static CatchupReport Run(int rows, int runs, int _)
    {
        int lwwRows = Math.Max(1, rows / 84);
        var results = new List<Measurement>();
        for (int run = 0; run < runs; run++)
        {
            var m = RunOnceAsync(rows, lwwRows).GetAwaiter().GetResult();
            results.Add(m);
            Report.Progress($"catchup run {run + 1}/{runs}: {m.Seconds:N1} s (raw insert {m.RawSeconds:N1} s), peak RSS returning {m.RssB:N0} MiB, sender {m.RssA:N0} MiB");
        }

        double Med(Func<Measurement, double> f) => Math.Round(Stats.Median(results.Select(f)), 1);
        return new CatchupReport("catchup", rows, lwwRows, runs, Med(m => m.Seconds), Med(m => m.RawSeconds),
            Math.Round(Stats.Median(results.Select(m => m.Seconds / m.RawSeconds)), 2), Med(m => m.RssB), Med(m => m.RssA));
    }

    private static async Task<Measurement> RunOnceAsync(int rows, int lwwRows)
    {
        using var dir = new TempDirectory("catchup");
        double raw = RawSeconds(dir, rows, lwwRows);
        string pathA = dir.Database("a");
        string pathB = dir.Database("b");
        Create(pathA, SyncRun.SiteA);
        Create(pathB, SyncRun.SiteB);
        using (var app = Workload.OpenApp(pathA))
        {
            Workload.Insert(app, 1, rows);
            InsertLww(app, lwwRows);
        }

        using (var db = SyncDatabase.Open(pathA, new SyncDatabaseOptions { SiteId = SyncRun.SiteA }))
        {
            db.Capture();
        }

        int grpcA = ChildPair.FreePort();
        var none = new Dictionary<string, string>();
        using var a = ChildAgent.Start([pathA], SyncRun.SiteA, [], ChildPair.Url(grpcA), "http://127.0.0.1:0", none);
        await Task.Delay(3_000).ConfigureAwait(false); // A's runtime starts and it listens
        var clock = Stopwatch.StartNew();
        using var b = ChildAgent.Start([pathB], SyncRun.SiteB, [ChildPair.Url(grpcA)], "http://127.0.0.1:0", "http://127.0.0.1:0", none);
        using (var reader = new ReplicaReader(pathB))
        {
            var deadline = TimeSpan.FromSeconds(600);
            while (!(reader.MaxId() >= rows && reader.Count() == rows && LwwCount(pathB) == lwwRows))
            {
                BenchmarkFailedException.Check(!a.HasExited && !b.HasExited, $"an agent exited:\n{a.Tail()}\n{b.Tail()}");
                BenchmarkFailedException.Check(clock.Elapsed < deadline, $"B holds {reader.Count()} of {rows} append rows after {clock.Elapsed.TotalSeconds:N0} s:\n{b.Tail()}");
                Thread.Sleep(Poll);
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        double rssB = b.StatusMiB("VmHWM"), rssA = a.StatusMiB("VmHWM");
        using var readerA = new ReplicaReader(pathA);
        using var readerB = new ReplicaReader(pathB);
        BenchmarkFailedException.Check(readerA.Fingerprint() == readerB.Fingerprint(), $"A and B differ: A {readerA.Fingerprint()}, B {readerB.Fingerprint()}");
        return new Measurement(seconds, raw, rssB, rssA);
    }

    private static void Create(string path, string site)
    {
        Replica.Create(path, site, TablePolicy.Append);
        using (var app = Workload.OpenApp(path))
        {
            Workload.Exec(app, LwwTable);
        }

        using var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("s", TablePolicy.Lww);
    }

    /// <summary>Seconds to insert the same rows into a fresh file with no EdgeSync.</summary>
    private static double RawSeconds(TempDirectory dir, int rows, int lwwRows)
    {
        string path = dir.Database("raw");
        using var app = Workload.OpenApp(path);
        Workload.Exec(app, Workload.CreateTable);
        Workload.Exec(app, LwwTable);
        var clock = Stopwatch.StartNew();
        Workload.Insert(app, 1, rows);
        InsertLww(app, lwwRows);
        return clock.Elapsed.TotalSeconds;
    }

    private static void InsertLww(SqliteConnection app, int count)
    {
        using var tx = app.BeginTransaction();
        using var ins = app.CreateCommand();
        ins.Transaction = tx;
        ins.CommandText = "INSERT INTO s(id, name, value) VALUES ($id, $name, $value)";
        var id = ins.Parameters.Add("$id", SqliteType.Integer);
        var name = ins.Parameters.Add("$name", SqliteType.Text);
        var value = ins.Parameters.Add("$value", SqliteType.Real);
        ins.Prepare();
        for (int i = 1; i <= count; i++)
        {
            id.Value = i;
            name.Value = $"setting-{i}";
            value.Value = i * 0.25;
            ins.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static long LwwCount(string path)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        return Workload.Scalar(c, "SELECT count(*) FROM s");
    }
}
