using EdgeSync.Clocks;
using EdgeSync.Storage;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Readers of a replica's vector and of its peers' vectors do not wait for its writer (issue 12): the vector is the one
/// published at the last commit, never one a transaction has not committed yet, and a hub records a caller's vector only
/// when it can do so at once.
/// </summary>
public sealed class PublishedVectorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Vector_ReadWhileAnApplyCommits_IsTheOneBeforeIt_AndHoldsTheBatchOnceCommitted()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0), (2, 'a', 2, 2.0)");
        var seenInsideCommits = new List<long>();
        b.Db.ObserveCommits(_ => seenInsideCommits.Add(b.Db.Vector[a.Site])); // called inside each commit, before COMMIT

        Assert.True(b.PullFrom(a) > 0);

        b.Db.ObserveCommits(null);
        Assert.NotEmpty(seenInsideCommits);
        Assert.All(seenInsideCommits, seq => Assert.Equal(0L, seq)); // the batch's rows were written, not committed
        Assert.True(b.Db.Vector[a.Site] >= 2);
    }

    [Fact]
    public void TryRecordPeerVector_WhileBusy_RecordsNothing_AndRecordsOnceFree()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        var vector = VersionVector.Empty.With("p", 5);

        using (var other = new SqliteConnection($"Data Source={a.Path};Pooling=false"))
        {
            other.Open();
            using (var cmd = other.CreateCommand())
            {
                cmd.CommandText = "BEGIN IMMEDIATE"; // the application holds the write lock
                cmd.ExecuteNonQuery();
            }

            Assert.False(a.Db.TryRecordPeerVector("p", vector));
            Assert.False(Recorded(a).ContainsKey("p"));
        }

        var busy = new List<bool>();
        a.Db.ObserveCommits(_ => busy.Add(OnAnotherThread(() => a.Db.TryRecordPeerVector("q", vector)))); // this database is mid-commit
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Db.ObserveCommits(null);
        Assert.Contains(false, busy);
        Assert.False(Recorded(a).ContainsKey("q"));

        Assert.True(a.Db.TryRecordPeerVector("p", vector));
        Assert.Equal(5L, Recorded(a)["p"]["p"]);
        Assert.True(a.Db.TryRecordPeerVector("p", vector)); // raises nothing: true, nothing written
    }

    /// <summary>A thread of its own (a task could run inline on the waiting thread, which holds the database's lock).</summary>
    private static T OnAnotherThread<T>(Func<T> body)
    {
        T result = default!;
        var thread = new Thread(() => result = body());
        thread.Start();
        thread.Join();
        return result;
    }

    private static Dictionary<string, VersionVector> Recorded(Replica r)
    {
        using var c = new SqliteConnection($"Data Source={r.Path};Mode=ReadOnly;Pooling=false");
        c.Open();
        return PeerVectors.Load(c);
    }
}
