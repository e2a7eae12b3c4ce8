using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// The compaction floor of an origin rises only over events this replica held and dropped (design §6), not over events
/// its vector passed because a table's direction kept them from it (topology seed 260).
/// </summary>
public sealed class CompactionFloorTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A hub's changes as a factory receives them: <c>readings</c> flows up only, so it is never read, but the
    /// batches' ranges still carry the factory's vector past it.</summary>
    private static void PullDown(Replica factory, Replica hub)
    {
        hub.Db.Capture(TestContext.Current.CancellationToken);
        foreach (var batch in hub.Db.GetChanges(factory.Db.Vector, t => t != "readings", TestContext.Current.CancellationToken))
        {
            factory.Db.Apply(batch, hub.Db.SiteId, cancellationToken: TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void HubDisclaimsFilteredEventsAFactoryCompactedPast_ItsLaterBatchesAreStillTaken()
    {
        using var hub = new Replica(_dir.File("hub.db"), "hq", time: new ManualTime(Now.AddHours(2)));
        using var factory = new Replica(_dir.File("factory.db"), "factory", time: new ManualTime(Now));
        hub.Exec("INSERT INTO readings VALUES (1, 'hub', 1, 1.0)"); // stamped 2 h ahead, in a table the factory never receives
        PullDown(factory, hub);
        Assert.Equal(1, factory.Db.Vector["hq"]); // passed through the ranges, never held

        factory.Exec("INSERT INTO settings VALUES ('k', 'v', 'factory', 1)");
        factory.Db.Capture(TestContext.Current.CancellationToken);
        factory.Exec("DELETE FROM settings WHERE key = 'k'");
        factory.Db.Capture(TestContext.Current.CancellationToken);
        foreach (var batch in factory.Db.GetChanges(hub.Db.Vector, TestContext.Current.CancellationToken))
        {
            hub.Db.Apply(batch, factory.Db.SiteId, cancellationToken: TestContext.Current.CancellationToken);
        }

        factory.Db.RecordPeerVector("hq", hub.Db.Vector, TestContext.Current.CancellationToken); // the hub holds all of it
        Assert.Equal(1, factory.Db.Compact(["hq"], TestContext.Current.CancellationToken).Tombstones);

        // The hub's clock is set right: it continues as a new incarnation and disclaims its future-stamped event.
        hub.Reopen(new ManualTime(Now.AddMinutes(1)));
        hub.Exec("INSERT INTO settings VALUES ('config', 'from hq', 'hq', 1)");
        hub.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("hq~", hub.Db.SiteId, StringComparison.Ordinal);
        Assert.Equal(0, hub.Db.Vector["hq"]);

        PullDown(factory, hub); // refused as StaleBatch, for good, while the floor rose past the filtered event
        Assert.Equal("from hq", factory.Scalar("SELECT value FROM settings WHERE key = 'config'"));
    }
}
