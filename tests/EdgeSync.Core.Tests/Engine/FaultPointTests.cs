using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Regressions the fault simulation found (tests/EdgeSync.Simulation), each replayed here with the engine's own
/// fault points or clocks.
/// </summary>
public sealed class FaultPointTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Compact_DiskFullMidway_ThrowsTheTypedStorageError_DropsNothing_AndSucceedsOnceThereIsSpace()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v', 'a', 1), ('k2', 'v', 'a', 1)");
        a.Exec("DELETE FROM settings WHERE key = 'k1'");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        long logBefore = (long)a.Scalar("SELECT count(*) FROM _edgesync_log")!;

        StorageException full;
        using (FaultPoints.Install(point =>
        {
            if (point == "compact.floors")
            {
                throw new SqliteException("database or disk is full", 13);
            }
        }))
        {
            full = Assert.Throws<StorageException>(() => a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken));
        }

        Assert.Equal("disk_full", full.Cause);
        Assert.Equal(logBefore, (long)a.Scalar("SELECT count(*) FROM _edgesync_log")!);
        Assert.Equal(0L, (long)a.Scalar("SELECT count(*) FROM _edgesync_floor")!);

        var done = a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(done.LogEntries > 0);
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), a.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ClockRanAhead_UncleanRestartMeanwhile_ThenFixed_PeersGetWhatBothIncarnationsWroteAhead()
    {
        // Seed 16 of the simulation: a's clock ran 2 h ahead; it wrote, was killed, restarted (still ahead) as a new
        // incarnation and wrote again; then its clock was set right. Every batch it sent carried the first id's
        // future-stamped writes, so peers refused all of them, for good.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddHours(2)));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('first', 'v1', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);

        a.Reopen(new ManualTime(Now.AddHours(2).AddSeconds(1)));
        a.Exec("INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('writer_session', 'killed')"); // the last session never closed
        a.Exec("INSERT INTO settings VALUES ('second', 'v2', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (2, 'd', 2, 2.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);

        a.Reopen(new ManualTime(Now.AddSeconds(5)));   // the clock is set right
        a.Exec("INSERT INTO settings VALUES ('third', 'v3', 'a', 1)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal(3L, b.Scalar("SELECT count(*) FROM settings"));
        Assert.Equal(2L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
