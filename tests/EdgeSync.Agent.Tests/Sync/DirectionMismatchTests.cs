using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Errors;
using EdgeSync.Schema;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Found by the topology simulation (tests/EdgeSync.Simulation, <c>--topology hub</c>, seed 19): a table's direction
/// changed from <c>up</c> to <c>both</c> reached the hub before a factory. The hub sent the table (its history
/// re-offered, and new writes); the factory, still <c>up</c>, dropped it while its vector moved past it, so after its own
/// configuration caught up it never received those rows.
/// </summary>
public sealed class DirectionMismatchTests
{
    private static SyncDatabase Open(string path, string site)
    {
        AppDb.Create(path);
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("settings", TablePolicy.Lww);
        db.EnableTable("items", TablePolicy.Lww);
        return db;
    }

    private static long Pull(SyncDatabase factory, SyncDirection items, SyncDatabase hub) =>
        new Outbound(new SyncEndpoint(hub) { Role = AgentRole.Hub, DirectionOf = _ => SyncDirection.Both }, factory.SiteId, AgentRole.Factory)
            .Send(factory.Vector, batch => new Inbound(new SyncEndpoint(factory) { Role = AgentRole.Factory, DirectionOf = t => t == "items" ? items : SyncDirection.Both },
                hub.SiteId, AgentRole.Hub).Receive(batch.Payload), TestContext.Current.CancellationToken);

    [Fact]
    public void HubOpenedATableBeforeTheFactory_FactoryRefusesLoudly_ThenReceivesEveryRowOnceItsDirectionCatchesUp()
    {
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq/hub");
        using var factory = Open(dir.Db("f1"), "f1/edge-0");
        AppDb.Exec(hub.Path, "INSERT INTO items(id, name, qty) VALUES ('i1', 'bolt', 3)");
        AppDb.Exec(hub.Path, "INSERT INTO settings(key, value) VALUES ('max_temp', '90')");
        hub.Capture(TestContext.Current.CancellationToken);
        var before = factory.Vector;

        // The hub runs with items 'both' already; this factory still with 'up'.
        var e = Assert.Throws<InvalidBatchException>(() => Pull(factory, SyncDirection.Up, hub));
        Assert.Contains("'items' (up here)", e.Message, StringComparison.Ordinal);
        Assert.True(before.Dominates(factory.Vector), $"nothing applied, the vector did not move: {before} -> {factory.Vector}");
        Assert.Equal(0L, AppDb.Count(factory.Path, "settings"));

        // Its configuration catches up: the rows the hub sent while they differed arrive.
        Pull(factory, SyncDirection.Both, hub);
        Assert.Equal("bolt", AppDb.Scalar(factory.Path, "SELECT name FROM items WHERE id = 'i1'"));
        Assert.Equal("90", AppDb.Scalar(factory.Path, "SELECT value FROM settings WHERE key = 'max_temp'"));
    }

    [Fact]
    public void SameDirectionsOnBothSides_UpTableIsWithheldByTheHub_AndTheFactoryPullsTheRest()
    {
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq/hub");
        using var factory = Open(dir.Db("f1"), "f1/edge-0");
        AppDb.Exec(hub.Path, "INSERT INTO items(id, name, qty) VALUES ('i1', 'bolt', 3)");
        AppDb.Exec(hub.Path, "INSERT INTO settings(key, value) VALUES ('max_temp', '90')");
        hub.Capture(TestContext.Current.CancellationToken);
        Func<string, SyncDirection> directions = t => t == "items" ? SyncDirection.Up : SyncDirection.Both;

        new Outbound(new SyncEndpoint(hub) { Role = AgentRole.Hub, DirectionOf = directions }, factory.SiteId, AgentRole.Factory)
            .Send(factory.Vector, batch => new Inbound(new SyncEndpoint(factory) { Role = AgentRole.Factory, DirectionOf = directions }, hub.SiteId, AgentRole.Hub)
                .Receive(batch.Payload), TestContext.Current.CancellationToken);

        Assert.Equal(0L, AppDb.Count(factory.Path, "items"));
        Assert.Equal("90", AppDb.Scalar(factory.Path, "SELECT value FROM settings WHERE key = 'max_temp'"));
    }
}
