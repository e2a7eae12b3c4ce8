using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// The engine's readers (extraction, checksums, status) come from a connection pool, so an agent does not parse the
/// schema again for every round. A pooled reader must still see every commit, must not keep a WAL snapshot open
/// between uses, and must not keep the file open once the database is closed.
/// </summary>
public sealed class PooledReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReusedReaders_SeeEachNewCommit_AndHoldNoSnapshotBetweenUses()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        for (int i = 1; i <= 5; i++)
        {
            a.Exec("INSERT INTO settings(key, value) VALUES ('mode', $1) ON CONFLICT(key) DO UPDATE SET value = excluded.value", $"v{i}");
            string before = a.Db.Checksum(TestContext.Current.CancellationToken);
            b.PullFrom(a);

            Assert.Equal($"v{i}", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
            a.Exec("INSERT INTO readings(device, ts, value) VALUES ('d', $1, 1.5)", i);
            Assert.NotEqual(before, a.Db.Checksum(TestContext.Current.CancellationToken)); // the next read sees the row just committed
        }

        // A reader left in a read transaction would keep its WAL snapshot, and a TRUNCATE checkpoint could not finish.
        var checkpoint = a.Rows("PRAGMA wal_checkpoint(TRUNCATE)")[0];
        Assert.Equal(0L, checkpoint[0]);
        Assert.Equal(0L, new FileInfo(a.Path + "-wal").Length);
    }

    [Fact]
    public void ClosingTheDatabase_ClosesItsPooledReaders()
    {
        string path = _dir.File("a.db");
        using (var a = new Replica(path, "a"))
        using (var b = new Replica(_dir.File("b.db"), "b"))
        {
            a.Exec("INSERT INTO settings(key, value) VALUES ('mode', 'on')");
            b.PullFrom(a);
            _ = a.Db.Checksum(TestContext.Current.CancellationToken);
            _ = a.Db.Status.GetRejections();
        }

        // SQLite deletes the WAL when the last connection to the file closes; a reader left in a pool would keep it.
        Assert.False(File.Exists(path + "-wal"), "the -wal file is still there: some connection to the database is still open");
        if (OperatingSystem.IsLinux())
        {
            var open = Directory.GetFiles("/proc/self/fd")
                .Select(fd => new FileInfo(fd).LinkTarget)
                .Where(target => target is not null && target.StartsWith(path, StringComparison.Ordinal))
                .ToList();
            Assert.Empty(open);
        }
    }
}
