using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>
    /// Topology simulation seeds 189 and 1181 at 120 steps: the hub recorded the opened direction first, then the
    /// re-offer failed; at the next start the recorded direction was already the new one, so the re-offer was never made
    /// again and the factories never received the table's history.
    /// </summary>
    [Fact]
    public void HubOpeningATable_ReofferFailsOnAFullDisk_IsReofferedAtTheNextStart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var hub = new Replica(_dir.File("hub.db"), "hq/edge-0");
        hub.Exec("INSERT INTO counters VALUES (1, 10, 'x', NULL), (2, 20, 'y', NULL)");
        hub.Db.Capture(ct);
        DirectionHistory.Check(hub.Db, "hub", HubWith(SyncDirection.Up), NullLogger.Instance, ct);
        var before = hub.Db.Vector;

        using (FaultPoints.Install(point =>
        {
            if (point == "reoffer.rows")
            {
                throw new SqliteException("database or disk is full", 13); // the re-offer's rows, not the direction's record
            }
        }))
        {
            Assert.Throws<StorageException>(() => DirectionHistory.Check(hub.Db, "hub", HubWith(SyncDirection.Both), NullLogger.Instance, ct));
        }

        Assert.Equal("Up", hub.Db.RecordedDirection("counters"));
        DirectionHistory.Check(hub.Db, "hub", HubWith(SyncDirection.Both), NullLogger.Instance, ct); // the next start, space freed

        Assert.Equal("Both", hub.Db.RecordedDirection("counters"));
        var after = hub.Db.Vector;
        Assert.Equal(before["hq/edge-0"] + 2, after["hq/edge-0"]); // both rows issued again, once
    }

    private static AgentOptions HubWith(SyncDirection counters) => new()
    {
        Site = "hq/edge-0",
        ClusterId = "hq",
        Role = AgentRole.Hub,
        Tables = new Dictionary<string, TableSyncOptions>(StringComparer.OrdinalIgnoreCase) { ["counters"] = new() { Direction = counters } },
    };
}
