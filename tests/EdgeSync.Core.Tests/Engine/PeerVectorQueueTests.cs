using EdgeSync.Clocks;
using EdgeSync.Storage;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// <see cref="SyncDatabase.QueuePeerVector"/> (issue 12): a peer's reported vector is written at once when the database
/// is free and queued when it is busy — the caller never waits for the writer — and a peer that holds more of this
/// site's changes than the database still makes it continue as a new incarnation before the call returns.
/// </summary>
public sealed class PeerVectorQueueTests : IDisposable
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30); // a bound for "eventually", not a latency target

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Free_WritesAtOnce()
    {
        using var a = new Replica(_dir.File("a.db"), "a");

        a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 5), TestContext.Current.CancellationToken);

        Assert.Equal(5L, Recorded(a)["p"]["p"]);
    }

    [Fact]
    public void WhileTheApplicationHoldsTheWriteLock_ReturnsAtOnce_AndWritesEveryPeerOnceItIsFree()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using (var app = new SqliteConnection($"Data Source={a.Path};Pooling=false"))
        {
            app.Open();
            using (var cmd = app.CreateCommand())
            {
                cmd.CommandText = "BEGIN IMMEDIATE"; // held across the calls below: a waiting call would not return before the busy timeout, then throw
                cmd.ExecuteNonQuery();
            }

            a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 5), TestContext.Current.CancellationToken);
            a.Db.QueuePeerVector("q", VersionVector.Empty.With("q", 3), TestContext.Current.CancellationToken);
            a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 7).With("q", 1), TestContext.Current.CancellationToken); // merged with the queued one

            Assert.Empty(Recorded(a));
        }

        var recorded = Eventually(() => Recorded(a) is { Count: 2 } r && r["p"]["p"] == 7 ? r : null);
        Assert.Equal(1L, recorded["p"]["q"]);
        Assert.Equal(3L, recorded["q"]["q"]);
    }

    [Fact]
    public void WhileThisDatabaseCommits_ReturnsAtOnce_AndWritesOnceItIsFree()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        var queued = new List<Thread>();
        a.Db.ObserveCommits(_ =>
        {
            if (queued.Count == 0)
            {
                var t = new Thread(() => a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 9), TestContext.Current.CancellationToken)); // this database's lock is held
                t.Start();
                Assert.True(t.Join(Liveness)); // returned while the lock is still held
                queued.Add(t);
            }
        });
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Db.ObserveCommits(null);
        Assert.Single(queued);

        Eventually(() => Recorded(a).TryGetValue("p", out var v) && v["p"] == 9 ? v : null);
    }

    [Fact]
    public void PeerHoldsMoreOfThisSite_ContinuesAsANewIncarnation_BeforeReturning()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        string before = a.Db.SiteId;

        a.Db.QueuePeerVector("p", VersionVector.Empty.With(before, a.Db.Vector[before] + 5), TestContext.Current.CancellationToken); // it lost changes it had issued

        Assert.NotEqual(before, a.Db.SiteId);
        Assert.True(Recorded(a).ContainsKey("p"));
    }

    [Fact]
    public void AfterDispose_Throws_AndAQueuedWriteIsDropped()
    {
        var a = new Replica(_dir.File("a.db"), "a");
        using (var app = new SqliteConnection($"Data Source={a.Path};Pooling=false"))
        {
            app.Open();
            using var cmd = app.CreateCommand();
            cmd.CommandText = "BEGIN IMMEDIATE";
            cmd.ExecuteNonQuery();
            a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 5), TestContext.Current.CancellationToken);
            a.Dispose();
        }

        Assert.Throws<ObjectDisposedException>(() => a.Db.QueuePeerVector("p", VersionVector.Empty.With("p", 6), TestContext.Current.CancellationToken));
        Thread.Sleep(SyncDatabase.PeerQueueRetry * 4); // a retry still due would find the database closed
        using var reopened = new SqliteConnection($"Data Source={a.Path};Mode=ReadOnly;Pooling=false");
        reopened.Open();
        Assert.Empty(PeerVectors.Load(reopened));
    }

    private static T Eventually<T>(Func<T?> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + Liveness;
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "not recorded within the liveness bound");
            Thread.Sleep(20);
        }
    }

    private static Dictionary<string, VersionVector> Recorded(Replica r)
    {
        using var c = new SqliteConnection($"Data Source={r.Path};Mode=ReadOnly;Pooling=false");
        c.Open();
        return PeerVectors.Load(c);
    }
}
