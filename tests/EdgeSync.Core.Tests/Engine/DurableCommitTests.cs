using EdgeSync.Storage;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Which of EdgeSync's commits are fsynced (issue 14): a commit that issues sequence numbers must be on disk before any
/// reader can ship them (<c>synchronous=FULL</c>, see <see cref="RolledBackFileTests"/>); everything else, above all
/// applying a peer's changes, commits at NORMAL; and a round that changed nothing commits nothing at all.
/// </summary>
public sealed class DurableCommitTests : IDisposable
{
    private const long Normal = 1, Full = 2; // PRAGMA synchronous
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CommitsThatIssueSequenceNumbers_AreFull_ApplyingOnlyAPeersChanges_IsNormal()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        var onA = Observe(a);
        var onB = Observe(b);
        b.Db.Capture(ct); // b's first seal claims its session
        onB.Clear();

        // a's writes through each kind of capture: trigger queue (settings), append rowid scan (readings), lww rowid scan (counters)
        a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0), (2, 'a', 2, 2.0)");
        a.Exec("INSERT INTO counters VALUES (1, 1, 'x', NULL)");
        b.PullFrom(a);
        Assert.Equal(2L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(1L, b.Scalar("SELECT count(*) FROM counters"));
        Assert.Contains(onA, c => c.IssuedSequences);
        Assert.All(onA.Where(c => c.IssuedSequences), c => Assert.Equal(Full, c.Synchronous));
        AssertOnlyNormal(onB); // b wrote nothing of its own: applying a's rows issues no number of b's

        // b now holds a's append rows above its own frontier (remote runs): still nothing of b's to seal
        onB.Clear();
        a.Exec("INSERT INTO readings VALUES (3, 'a', 3, 3.0)");
        b.PullFrom(a);
        Assert.Equal(3L, b.Scalar("SELECT count(*) FROM readings"));
        AssertOnlyNormal(onB);

        // b writes, then applies: the apply seals b's writes first, so that commit issues numbers and is FULL
        onB.Clear();
        b.Exec("INSERT INTO readings VALUES (100, 'b', 1, 1.0)");
        b.Exec("UPDATE settings SET value = 'from b' WHERE key = 'k1'");
        a.Exec("INSERT INTO settings VALUES ('k2', 'v2', 'a', 1)");
        Assert.Equal(1, b.PullFrom(a));
        Assert.Contains(onB, c => c.IssuedSequences);
        Assert.All(onB.Where(c => c.IssuedSequences), c => Assert.Equal(Full, c.Synchronous));

        a.PullFrom(b);
        Assert.Equal("from b", a.Scalar("SELECT value FROM settings WHERE key = 'k1'"));
        Assert.Equal(4L, a.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void CaptureThatSealsNothing_CommitsAtNormal_AndOneThatSeals_AtFull()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Db.Capture(ct);
        var onA = Observe(a);

        a.Db.Capture(ct);
        a.Exec("INSERT INTO items VALUES ('t', 1, 'n', 1)");
        var sealedOne = a.Db.Capture(ct);

        Assert.Equal(1, sealedOne.Changes);
        Assert.Equal([new CommitRecord(Normal, false), new CommitRecord(Full, true)], onA);
    }

    [Fact]
    public void RoundThatChangedNothing_WritesNothing()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        b.Exec("INSERT INTO readings VALUES (2, 'b', 1, 1.0)");
        Round(a, b); // moves the rows and records each side's vector
        Round(a, b);
        using var watchA = Watch(a);
        using var watchB = Watch(b);
        long versionA = DataVersion(watchA), versionB = DataVersion(watchB);
        long walA = new FileInfo(a.Path + "-wal").Length, walB = new FileInfo(b.Path + "-wal").Length;

        var (pulled, pushed) = Round(a, b);

        Assert.Equal((0, 0), (pulled, pushed));
        Assert.Equal(versionA, DataVersion(watchA)); // no other connection committed anything
        Assert.Equal(versionB, DataVersion(watchB));
        Assert.Equal(walA, new FileInfo(a.Path + "-wal").Length);
        Assert.Equal(walB, new FileInfo(b.Path + "-wal").Length);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    /// <summary>What an agent's round does: both sides record the other's vector (handshake), then pull and push.</summary>
    private static (int Pulled, int Pushed) Round(Replica a, Replica b)
    {
        a.Db.RecordPeerVector(b.Site, b.Db.Vector);
        b.Db.RecordPeerVector(a.Site, a.Db.Vector);
        int pulled = b.PullFrom(a);
        int pushed = a.PullFrom(b);
        return (pulled, pushed);
    }

    private static List<CommitRecord> Observe(Replica r)
    {
        var commits = new List<CommitRecord>();
        r.Db.ObserveCommits(commits.Add);
        return commits;
    }

    private static void AssertOnlyNormal(List<CommitRecord> commits)
    {
        Assert.NotEmpty(commits);
        Assert.All(commits, c => Assert.Equal(new CommitRecord(Normal, false), c));
    }

    private static SqliteConnection Watch(Replica r)
    {
        var c = new SqliteConnection($"Data Source={r.Path};Mode=ReadOnly;Pooling=false");
        c.Open();
        return c;
    }

    private static long DataVersion(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA data_version";
        return (long)cmd.ExecuteScalar()!;
    }
}
