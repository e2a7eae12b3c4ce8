using System.Diagnostics.Metrics;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// The Outbound → Inbound path without gRPC, as the CLI's file sync and the simulations use it: table directions,
/// authorization and metrics are the same code the agent's server and client run.
/// </summary>
public sealed class PipelineTests
{
    private static SyncDatabase Open(string path, string site)
    {
        AppDb.Create(path);
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("settings", TablePolicy.Lww);
        db.EnableTable("items", TablePolicy.Lww);
        return db;
    }

    private static SyncDirection Directions(string table) => table == "settings" ? SyncDirection.Down : SyncDirection.Both;

    [Fact]
    public void AHubReceivingFromAFactory_AppliesOnlyTablesThatMayFlowUp_CountsTheRest_AndItsVectorPassesThem()
    {
        using var dir = new TempDir();
        using var factory = Open(dir.Db("f1"), "f1/edge-0");
        using var hub = Open(dir.Db("hq"), "hq/hub");
        AppDb.Exec(factory.Path, "INSERT INTO settings(key, value) VALUES ('max_temp', '90')");
        AppDb.Exec(factory.Path, "INSERT INTO items(id, name, qty) VALUES ('i1', 'bolt', 3)");
        factory.Capture(TestContext.Current.CancellationToken);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var withheld = new MetricRecorder(meters, "edgesync_changes_withheld");
        using var received = new MetricRecorder(meters, "edgesync_changes_received");
        var board = new PeerBoard("hq", hub.SiteId, () => hub.Vector, TimeProvider.System);
        var hubSide = new SyncEndpoint(hub) { Role = AgentRole.Hub, DirectionOf = Directions, Metrics = new AgentMetrics(meters), Board = board };

        // The factory side has no direction rules here (a bare endpoint): the hub's Inbound alone must hold the line.
        var inbound = new Inbound(hubSide, factory.SiteId, AgentRole.Factory);
        long sent = new Outbound(new SyncEndpoint(factory), hub.SiteId, AgentRole.Hub)
            .Send(hub.Vector, batch => inbound.Receive(batch.Payload), TestContext.Current.CancellationToken);

        Assert.Equal(2, sent);
        Assert.Equal("bolt", AppDb.Scalar(hub.Path, "SELECT name FROM items WHERE id = 'i1'"));
        Assert.Equal(0L, AppDb.Count(hub.Path, "settings"));
        Assert.Equal(1, inbound.Rows);
        Assert.Equal(1, withheld.Sum(hub.SiteId, factory.SiteId));
        Assert.Equal(1, received.Sum(hub.SiteId, factory.SiteId));
        Assert.True(hub.Vector.Dominates(factory.Vector), $"the hub's vector passes the withheld change: {hub.Vector} vs {factory.Vector}");
    }

    [Fact]
    public void ABatchTheAuthorizerRefuses_AppliesNothing_AndTheSenderCanRetryIt()
    {
        using var dir = new TempDir();
        using var a = Open(dir.Db("a"), "a/0");
        using var b = Open(dir.Db("b"), "b/0");
        AppDb.Exec(a.Path, "INSERT INTO items(id, name, qty) VALUES ('i1', 'bolt', 3), ('i2', 'nut', 5)");
        a.Capture(TestContext.Current.CancellationToken);

        var refusing = new Inbound(new SyncEndpoint(b), a.SiteId, AgentRole.Peer, authorize: _ => throw new InvalidOperationException("refused"));
        Assert.Throws<InvalidOperationException>(() => new Outbound(new SyncEndpoint(a), b.SiteId, AgentRole.Peer)
            .Send(b.Vector, batch => refusing.Receive(batch.Payload), TestContext.Current.CancellationToken));
        Assert.Equal(0L, AppDb.Count(b.Path, "items"));
        Assert.Equal(0, refusing.Rows);

        var accepting = new Inbound(new SyncEndpoint(b), a.SiteId, AgentRole.Peer);
        new Outbound(new SyncEndpoint(a), b.SiteId, AgentRole.Peer)
            .Send(b.Vector, batch => accepting.Receive(batch.Payload), TestContext.Current.CancellationToken);
        Assert.Equal(AppDb.Dump(a.Path, "items"), AppDb.Dump(b.Path, "items"));
        Assert.Equal(2, accepting.Rows);
    }
}
