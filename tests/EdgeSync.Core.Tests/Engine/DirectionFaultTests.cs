using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Found by the topology simulation (tests/EdgeSync.Simulation, <c>--topology hub</c>, seeds 8 and 10): a full disk
/// while the agent records a table's direction at start surfaced as a raw <see cref="SqliteException"/>, not the
/// engine's typed storage error every other write reports.
/// </summary>
public sealed class DirectionFaultTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IDisposable DiskFullAtCommit() => FaultPoints.Install(point =>
    {
        if (point == "commit")
        {
            throw new SqliteException("database or disk is full", 13);
        }
    });

    [Fact]
    public void RecordDirection_DiskFull_ThrowsTheTypedStorageError_RecordsNothing_AndSucceedsOnceThereIsSpace()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        Assert.Null(a.Db.RecordDirection("settings", "Up", ct));

        StorageException full;
        using (DiskFullAtCommit())
        {
            full = Assert.Throws<StorageException>(() => a.Db.RecordDirection("settings", "Both", ct));
        }

        Assert.Equal("disk_full", full.Cause);
        Assert.Equal("Up", a.Db.RecordDirection("settings", "Both", ct)); // the failed change was not kept
        Assert.Equal("Both", a.Db.RecordDirection("settings", "Both", ct));
    }

    [Fact]
    public void ReofferTable_DiskFull_ThrowsTheTypedStorageError_IssuesNothing_AndSucceedsOnceThereIsSpace()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v', 'a', 1), ('k2', 'v', 'a', 1)");
        a.Db.Capture(ct);
        var before = a.Db.Vector;

        using (DiskFullAtCommit())
        {
            Assert.Equal("disk_full", Assert.Throws<StorageException>(() => a.Db.ReofferTable("settings", ct)).Cause);
        }

        Assert.True(before.Dominates(a.Db.Vector), $"nothing issued: {before} -> {a.Db.Vector}");
        Assert.Equal(2, a.Db.ReofferTable("settings", ct));
    }
}
