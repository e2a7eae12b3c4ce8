using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A replica whose files went back to a copy taken a moment earlier (a power cut that lost the WAL's tail, a VM or
/// volume snapshot restored) and whose application wrote new rows before it met a peer again (issue 15, item 1): the
/// new rows must not reuse (site, sequence) numbers that peers already hold with other contents.
/// </summary>
public sealed class RolledBackFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void FilePutBackToAnEarlierCopy_ThenWritten_BeforeMeetingThePeer_LosesNothingAndConverges()
    {
        string path = _dir.File("a.db"), snapshot = _dir.File("snapshot");
        Directory.CreateDirectory(snapshot);
        using var b = new Replica(_dir.File("b.db"), "b");
        using (var a = new Replica(path, "a"))
        {
            a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1)");
            a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
            b.PullFrom(a);
            CopyFiles(path, snapshot);   // the copy the volume goes back to, taken while the replica runs

            a.Exec("INSERT INTO settings VALUES ('k2', 'shipped, then lost', 'a', 1)");
            a.Exec("INSERT INTO readings VALUES (2, 'd', 2, 2.0)");
            b.PullFrom(a);
        }

        PutBack(snapshot, path);
        using var back = new Replica(path, "a", enable: false);
        Assert.Null(back.Scalar("SELECT value FROM settings WHERE key = 'k2'"));
        back.Exec("INSERT INTO settings VALUES ('k3', 'written after the rollback', 'a', 1)");
        back.Exec("INSERT INTO readings VALUES (3, 'd', 3, 3.0)");
        back.Db.Capture(TestContext.Current.CancellationToken);   // sealed before it meets any peer

        b.PullFrom(back);
        back.PullFrom(b);

        Assert.Equal("written after the rollback", b.Scalar("SELECT value FROM settings WHERE key = 'k3'"));
        Assert.Equal("shipped, then lost", back.Scalar("SELECT value FROM settings WHERE key = 'k2'"));
        Assert.Equal(3L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(3L, back.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), back.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.NotEqual("a", back.Db.SiteId);   // it issues no more numbers under the id whose last ones it lost
    }

    [Fact]
    public void TwoCopiesOfOneSnapshot_ContinueAsDifferentIncarnations()
    {
        string path = _dir.File("a.db"), snapshot = _dir.File("snapshot");
        Directory.CreateDirectory(snapshot);
        using var b = new Replica(_dir.File("b.db"), "b");
        using (var a = new Replica(path, "a"))
        {
            a.Exec("INSERT INTO settings VALUES ('k0', 'v0', 'a', 1)");
            a.Db.Capture(TestContext.Current.CancellationToken);
            CopyFiles(path, snapshot);
        }

        string path1 = _dir.File("copy1.db"), path2 = _dir.File("copy2.db");
        PutBack(snapshot, path1);
        PutBack(snapshot, path2);
        using var c1 = new Replica(path1, "a", enable: false);
        using var c2 = new Replica(path2, "a", enable: false);
        c1.Exec("INSERT INTO settings VALUES ('k1', 'from copy 1', 'a', 1)");
        c2.Exec("INSERT INTO settings VALUES ('k2', 'from copy 2', 'a', 1)");
        b.PullFrom(c1);
        b.PullFrom(c2);

        Assert.Equal("from copy 1", b.Scalar("SELECT value FROM settings WHERE key = 'k1'"));
        Assert.Equal("from copy 2", b.Scalar("SELECT value FROM settings WHERE key = 'k2'"));
        Assert.NotEqual(c1.Db.SiteId, c2.Db.SiteId);
    }

    [Fact]
    public void CleanRestart_KeepsTheSiteId()
    {
        string path = _dir.File("a.db");
        using var a = new Replica(path, "a");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Reopen();
        a.Exec("INSERT INTO settings VALUES ('k2', 'v2', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal("a", a.Db.SiteId);
        Assert.Equal(2, a.Db.Vector["a"]);
    }

    [Fact]
    public void SecondSessionOnAFileAnotherSessionWrites_NeitherRetiresItsIdNorTakesItsMark()
    {
        // What `edgesync sync --with` does to a file an agent serves: a second SyncDatabase on the same file seals too.
        string path = _dir.File("a.db");
        using var agent = new Replica(path, "a");
        agent.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1)");
        agent.Db.Capture(TestContext.Current.CancellationToken);   // the agent's session holds the file's mark

        using (var cli = SyncDatabase.Open(path, new SyncDatabaseOptions(), cancellationToken: TestContext.Current.CancellationToken))
        {
            agent.Exec("INSERT INTO settings VALUES ('k2', 'v2', 'a', 1)");
            cli.Capture(TestContext.Current.CancellationToken);
            Assert.Equal("a", cli.SiteId);                          // the mark is the agent's, not a crashed writer's
        }

        agent.Exec("INSERT INTO settings VALUES ('k3', 'v3', 'a', 1)");
        agent.Db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal("a", agent.Db.SiteId);
        Assert.Equal("a", agent.Scalar("SELECT value FROM _edgesync_meta WHERE key = 'site_id'"));
        agent.Reopen();                                             // the agent closes cleanly: its mark goes with it
        agent.Exec("INSERT INTO settings VALUES ('k4', 'v4', 'a', 1)");
        agent.Db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal("a", agent.Db.SiteId);
    }

    private static void CopyFiles(string db, string dir)
    {
        foreach (var suffix in new[] { "", "-wal" })
        {
            if (File.Exists(db + suffix))
            {
                File.Copy(db + suffix, Path.Combine(dir, "db" + suffix));
            }
        }
    }

    private static void PutBack(string dir, string db)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(db + suffix);
            if (File.Exists(Path.Combine(dir, "db" + suffix)))
            {
                File.Copy(Path.Combine(dir, "db" + suffix), db + suffix);
            }
        }
    }
}
