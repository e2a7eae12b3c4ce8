using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Schema;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Found by the topology simulation (tests/EdgeSync.Simulation, <c>--topology hub</c>, seeds 498 and 679): a factory's
/// batch reached the hub right after the hub's application deleted one of the rows it touches, before the hub captured
/// the delete. The authorizer read the row (its metadata still live, the row gone) and the push failed with "metadata says
/// row … exists but it is missing; the database was changed with triggers disabled" — untrue, and the factory could not push.
/// </summary>
public sealed class AuthorizeUncapturedTests
{
    private const string Schema = "PRAGMA journal_mode=WAL; CREATE TABLE parts(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, PRIMARY KEY(tenant, code)) WITHOUT ROWID;";

    private static SyncDatabase Open(string path, string site)
    {
        AppDb.Exec(path, Schema);
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("parts", TablePolicy.Lww);
        return db;
    }

    private static TableRule Rule(string table) => new(SyncDirection.Both, "tenant");

    private static void Push(SyncDatabase factory, SyncDatabase hub) =>
        new Outbound(new SyncEndpoint(factory) { Role = AgentRole.Factory, DirectionOf = _ => SyncDirection.Both }, hub.SiteId, AgentRole.Hub)
            .Send(hub.Vector, batch => new Inbound(new SyncEndpoint(hub) { Role = AgentRole.Hub, DirectionOf = _ => SyncDirection.Both }, factory.SiteId, AgentRole.Factory,
                HubAuthorization.CheckFor(hub, AgentRole.Hub, Rule, PeerIdentity.Claimed(factory.SiteId))).Receive(batch.Payload), TestContext.Current.CancellationToken);

    [Fact]
    public void FactoryEditsARowTheHubJustDeleted_NotCapturedYet_TheHubAuthorizesAgainstTheDelete_AndTheDeleteWins()
    {
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq/edge-0");
        using var factory = Open(dir.Db("f1"), "f1/edge-0");
        AppDb.Exec(factory.Path, "INSERT INTO parts VALUES ('f1', 1, 'bolt')");
        Push(factory, hub);
        Assert.Equal("bolt", AppDb.Scalar(hub.Path, "SELECT name FROM parts WHERE code = 1"));

        AppDb.Exec(hub.Path, "DELETE FROM parts WHERE tenant = 'f1' AND code = 1"); // HQ's delete, not captured yet
        AppDb.Exec(factory.Path, "UPDATE parts SET name = 'nut' WHERE tenant = 'f1' AND code = 1");
        Push(factory, hub);

        Assert.Equal(0L, AppDb.Count(hub.Path, "parts"));
        var state = hub.ReadRowState("parts", ["f1", 1L]);
        Assert.True(state is { IsDeleted: true }, "the hub's delete was captured and wins over the factory's concurrent edit");
    }
}
