using EdgeSync.Clocks;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

public sealed class ClockTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hlc_NeverGoesBackwards_WhenTheWallClockDoes()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var clock = new HybridClock(Hlc.Zero, time);
        var t1 = clock.Next();
        time.Now = time.Now.AddMinutes(-10);
        var t2 = clock.Next();
        var t3 = clock.Next();
        Assert.True(t2 > t1 && t3 > t2);
        Assert.Equal(t1.Milliseconds, t3.Milliseconds);
    }

    [Fact]
    public void Hlc_CounterOverflow_CarriesIntoTheNextMillisecond()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds(5_000));
        var clock = new HybridClock(Hlc.From(5_000, Hlc.MaxCounter), time);
        var next = clock.Next();
        Assert.Equal(5_001, next.Milliseconds);
        Assert.Equal(0, next.Counter);
    }

    [Fact]
    public void Hlc_ObservedRemoteTime_OrdersLaterLocalEventsAfterIt()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var clock = new HybridClock(Hlc.Zero, time);
        var remote = Hlc.From(9_000, 3);
        clock.Observe(remote);
        Assert.True(clock.Next() > remote);
    }

    [Fact]
    public void ClockAndSequence_SurviveRestart_EvenIfTheWallClockMovesBack()
    {
        var path = _dir.File("c.db");
        using (var r = new Replica(path, "s"))
        {
        }

        using var app = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false");
        app.Open();
        Hlc first;
        long seq;
        var now = DateTimeOffset.UtcNow;
        using (var db = SyncDatabase.Open(path, new SyncDatabaseOptions { Time = new ManualTime(now) }, cancellationToken: TestContext.Current.CancellationToken))
        {
            Exec(app, "INSERT INTO settings VALUES ('k', 'v', 'x', 1)");
            db.Capture(TestContext.Current.CancellationToken);
            seq = db.Vector["s"];
            first = Assert.Single(Hlcs(app));
        }

        // Back by less than MaxClockDrift (5 min): the same site, its HLC still ahead of the wall clock.
        using (var db = SyncDatabase.Open(path, new SyncDatabaseOptions { Time = new ManualTime(now.AddMinutes(-4)) }, cancellationToken: TestContext.Current.CancellationToken))
        {
            Exec(app, "UPDATE settings SET value = 'w' WHERE key = 'k'");
            db.Capture(TestContext.Current.CancellationToken);
            Assert.Equal(seq + 1, db.Vector["s"]);
            Assert.True(Hlcs(app).Max() > first, "the clock went backwards across a restart");
        }
    }

    private static void Exec(Microsoft.Data.Sqlite.SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static List<Hlc> Hlcs(Microsoft.Data.Sqlite.SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT hlc FROM _edgesync_log WHERE span = 0";
        using var r = cmd.ExecuteReader();
        var list = new List<Hlc>();
        while (r.Read())
        {
            list.Add(new Hlc(r.GetInt64(0)));
        }

        return list;
    }
}
