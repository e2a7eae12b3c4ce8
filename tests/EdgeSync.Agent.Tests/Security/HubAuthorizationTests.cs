using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Security;

/// <summary>A hub and factories as real agents on loopback; one factory misbehaves, the hub refuses, the others go on.</summary>
public sealed class HubAuthorizationTests
{
    private const string Assets = "CREATE TABLE IF NOT EXISTS assets(id TEXT PRIMARY KEY, cluster_id TEXT NOT NULL, name TEXT)";

    private static Dictionary<string, string?> Settings(string? settingsDirection = null)
    {
        var s = new Dictionary<string, string?>
        {
            ["EdgeSync:Tables:assets:Policy"] = "lww",
            ["EdgeSync:Tables:assets:OwnerColumn"] = "cluster_id",
        };
        if (settingsDirection is not null)
        {
            s["EdgeSync:Tables:settings:Direction"] = settingsDirection;
        }

        return s;
    }

    private static async Task<TestAgent> StartAsync(
        TempDir dir, string name, string site, string? hub = null, AgentRole? role = null, string? settingsDirection = null, IReadOnlyList<string>? peers = null)
    {
        var path = dir.Db(name);
        AppDb.Create(path);
        AppDb.Exec(path, Assets);
        return await TestAgent.StartAsync(path, site, peers: peers, hub: hub, role: role, settings: Settings(settingsDirection));
    }

    private static string? Name(TestAgent a, string id) => AppDb.Scalar(a.DbPath, "SELECT name FROM assets WHERE id = $1", id) as string;

    [Fact]
    public async Task FactoryPushingARowOwnedByAnotherCluster_IsRefusedWhole_KeepsItsData_ShowsTheRule_AndOthersGoOn()
    {
        using var dir = new TempDir();
        await using var hq = await StartAsync(dir, "hq", "hq/hub", role: AgentRole.Hub);
        await using var f1 = await StartAsync(dir, "f1", "f1/edge-0", hub: hq.Url);
        var refused = hq.Metric("edgesync_batches_unauthorized");
        var rejected = f1.Metric("edgesync_pushes_rejected");
        await using var f2 = await StartAsync(dir, "f2", "f2/edge-0", hub: hq.Url);

        AppDb.Exec(f1.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a1', 'f1', 'press')");
        await Eventually.TrueAsync(() => Name(f2, "a1") == "press", "f1's own row reaches f2 through the hub");

        // Relayed rows keep their origin: every clock of a1 at f2 is f1's.
        var relayed = f2.Db.ReadRowState("assets", ["a1"]);
        Assert.NotNull(relayed);
        Assert.All(relayed.Clocks, c => Assert.Equal(f1.Site, c.Site));

        // One transaction: a row of its own and a row claiming to be f2's. The batch is refused whole.
        using (var c = AppDb.Open(f1.DbPath))
        using (var tx = c.BeginTransaction())
        {
            AppDb.Exec(c, "INSERT INTO assets(id, cluster_id, name) VALUES ('a2', 'f1', 'lathe')");
            AppDb.Exec(c, "INSERT INTO assets(id, cluster_id, name) VALUES ('a3', 'f2', 'planted')");
            tx.Commit();
        }

        await Eventually.TrueAsync(() => f1.Db.Status.GetRejections().Count > 0, "f1 records the hub's refusal");
        var rejection = Assert.Single(f1.Db.Status.GetRejections());
        Assert.Equal(hq.Site, rejection.Peer);
        Assert.Equal(AuthorizationRule.Owner, rejection.Rule);
        Assert.Contains("assets", rejection.Detail, StringComparison.Ordinal);
        Assert.Contains("('a3')", rejection.Detail, StringComparison.Ordinal);
        Assert.True(refused.Sum(hq.Site, f1.Site) > 0);
        Assert.True(rejected.Sum(f1.Site, hq.Site) > 0);

        // Meanwhile everyone else goes on: f2 and HQ write, and f1 still pulls.
        AppDb.Exec(f2.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('b1', 'f2', 'oven')");
        AppDb.Exec(hq.DbPath, "INSERT INTO settings(key, value) VALUES ('shift', 'night')");
        await Eventually.TrueAsync(() => Name(f1, "b1") == "oven" && AppDb.Count(f1.DbPath, "settings") == 1 && AppDb.Count(f2.DbPath, "settings") == 1,
            "f2's row and HQ's setting reach f1 and f2 while f1's push is refused");

        // Nothing of the refused batch is at the hub (or f2); f1 still has all of it.
        Assert.Null(Name(hq, "a2"));
        Assert.Null(Name(hq, "a3"));
        Assert.Null(Name(f2, "a2"));
        Assert.Equal("lathe", Name(f1, "a2"));
        Assert.Equal("planted", Name(f1, "a3"));
        Assert.Equal(AuthorizationRule.Owner, Assert.Single(f1.Db.Status.GetRejections()).Rule);

        // The factory fixes its data: the next push is accepted and the refusal is cleared.
        AppDb.Exec(f1.DbPath, "UPDATE assets SET cluster_id = 'f1' WHERE id = 'a3'");
        await Eventually.TrueAsync(() => Name(hq, "a3") == "planted" && Name(f2, "a2") == "lathe" && f1.Db.Status.GetRejections().Count == 0,
            "after the fix f1's rows reach the hub and f2 and the refusal is cleared",
            diagnostics: () => string.Join("; ", f1.Db.Status.GetRejections().Select(r => r.Detail)));
    }

    [Fact]
    public async Task FactoryChangingOrDeletingAnotherClustersRow_IsRefused_AndTheRowStaysIntact()
    {
        using var dir = new TempDir();
        await using var hq = await StartAsync(dir, "hq", "hq/hub", role: AgentRole.Hub);
        await using var f1 = await StartAsync(dir, "f1", "f1/edge-0", hub: hq.Url);
        await using var f2 = await StartAsync(dir, "f2", "f2/edge-0", hub: hq.Url);
        AppDb.Exec(f2.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('b1', 'f2', 'oven')");
        await Eventually.TrueAsync(() => Name(f1, "b1") == "oven", "f2's row reaches f1");

        // Hijack: rewrite the owner column to f1 (the row then "belongs" to the sender, but the hub holds it as f2's).
        AppDb.Exec(f1.DbPath, "UPDATE assets SET cluster_id = 'f1', name = 'hijacked' WHERE id = 'b1'");
        await Eventually.TrueAsync(() => f1.Db.Status.GetRejections().Count > 0, "the hub refuses the hijack");
        var hijack = Assert.Single(f1.Db.Status.GetRejections());
        Assert.Equal(AuthorizationRule.Owner, hijack.Rule);
        Assert.Contains("('b1')", hijack.Detail, StringComparison.Ordinal);

        AppDb.Exec(f1.DbPath, "DELETE FROM assets WHERE id = 'b1'");
        await Eventually.TrueAsync(() => f1.Db.Status.GetRejections() is [{ Detail: var d }] && d.Contains("a delete of", StringComparison.Ordinal),
            "the hub refuses the delete", diagnostics: () => string.Join("; ", f1.Db.Status.GetRejections().Select(r => r.Detail)));

        AppDb.Exec(f2.DbPath, "UPDATE assets SET name = 'oven 2' WHERE id = 'b1'");
        await Eventually.TrueAsync(() => Name(hq, "b1") == "oven 2", "the owner's own update still reaches the hub");
        Assert.Equal("f2", AppDb.Scalar(hq.DbPath, "SELECT cluster_id FROM assets WHERE id = 'b1'"));
        Assert.Equal("oven 2", Name(f2, "b1"));
    }

    [Fact]
    public async Task MisconfiguredFactoryWritingADownTable_IsRefusedWithDownTable()
    {
        using var dir = new TempDir();
        await using var hq = await StartAsync(dir, "hq", "hq/hub", role: AgentRole.Hub);
        var refused = hq.Metric("edgesync_batches_unauthorized");
        await using var f1 = await StartAsync(dir, "f1", "f1/edge-0", hub: hq.Url, settingsDirection: "both"); // the hub says down

        AppDb.Exec(f1.DbPath, "INSERT INTO settings(key, value) VALUES ('max_temp', '9000')");
        await Eventually.TrueAsync(() => f1.Db.Status.GetRejections().Count > 0, "the hub refuses the down table");
        var rejection = Assert.Single(f1.Db.Status.GetRejections());
        Assert.Equal(AuthorizationRule.DownTable, rejection.Rule);
        Assert.Contains("settings", rejection.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "settings"));
        Assert.Equal(1L, AppDb.Count(f1.DbPath, "settings"));
        Assert.True(refused.Sum(hq.Site, f1.Site) > 0);
        Assert.Equal(0L, hq.Db.Vector[f1.Site]);
    }

    [Theory]
    [InlineData("Factory")]
    [InlineData("Peer")] // a claimed role does not exempt a caller from another cluster
    public async Task ForgedBatchPresentingAnotherClustersWrites_IsRefusedWithOrigin(string claimedRole)
    {
        using var dir = new TempDir();
        await using var hq = await StartAsync(dir, "hq", "hq/hub", role: AgentRole.Hub);
        var ct = TestContext.Current.CancellationToken;
        var clock = new CellClock(new Hlc(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16), "f2/edge-0", 1, default, "");
        var row = new RowChange(["forged"], RowState.Alive(1, ["forged", "written by 'f2'", null, null], [clock, clock, clock, clock]));
        var batch = new ChangeBatch("f1/edge-0", VersionVector.Empty.With("f2/edge-0", 1), [new OriginRange("f2/edge-0", 0, 1)],
            [new TableChangeSet("items", ["id", "name", "qty", "photo"], ["id"], [row])]);

        using var channel = GrpcChannel.ForAddress(hq.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var headers = new Metadata
        {
            { Wire.SiteHeader, "f1/edge-0" },
            { Wire.RoleHeader, claimedRole },
            { Wire.DatabaseHeader, Path.GetFileNameWithoutExtension(hq.DbPath) },
            { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using var call = client.Push(headers, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new BatchMessage { Payload = ByteString.CopyFrom(BatchCodec.Encode(batch)), Rows = 1 }, ct);
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal(AuthorizationRule.Origin, e.Trailers.GetValue(UnauthorizedBatchException.RuleTrailer));
        Assert.Contains("origin", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("f2/edge-0", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "items"));
        Assert.Equal(0L, hq.Db.Vector["f2/edge-0"]);
    }

    [Fact]
    public async Task HubPullingFromAFactory_RefusesWhatTheFactoryMayNotWrite_AndTakesOnlyItsOwnClustersChanges()
    {
        using var dir = new TempDir();
        // Here the hub pulls: the factory does not know the hub, the hub lists the factory as a peer.
        await using var f1 = await StartAsync(dir, "f1", "f1/edge-0", role: AgentRole.Factory);
        var hqPath = dir.Db("hq");
        AppDb.Create(hqPath);
        AppDb.Exec(hqPath, Assets);
        await using var hq = await TestAgent.StartAsync(hqPath, "hq/hub", peers: [f1.Url], role: AgentRole.Hub, settings: Settings());
        var refused = hq.Metric("edgesync_batches_unauthorized");

        AppDb.Exec(f1.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a1', 'f1', 'press')");
        await Eventually.TrueAsync(() => Name(hq, "a1") == "press", "the hub pulls f1's own row");

        AppDb.Exec(f1.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a2', 'f2', 'planted')");
        await Eventually.TrueAsync(() => refused.Sum(hq.Site, f1.Site) > 0, "the hub refuses the pulled batch");
        Assert.Null(Name(hq, "a2"));
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "assets", "id = 'a2'"));
    }

    [Fact]
    public async Task FactoryHoldingAnotherClustersChanges_SendsTheHubOnlyItsOwn_AndIsNeverRefused()
    {
        // f2 reaches f1 directly but not the hub. f1 holds f2's rows; it must not relay them to the hub (the hub would
        // refuse them as laundered), and the hub's vector must not pass f2's changes it never received.
        using var dir = new TempDir();
        await using var hq = await StartAsync(dir, "hq", "hq/hub", role: AgentRole.Hub);
        await using var f1 = await StartAsync(dir, "f1", "f1/edge-0", hub: hq.Url);
        await using var f2 = await StartAsync(dir, "f2", "f2/edge-0", hub: TestAgent.DeadUrl(), peers: [f1.Url]);

        AppDb.Exec(f2.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('b1', 'f2', 'oven')");
        AppDb.Exec(f2.DbPath, "INSERT INTO items(id, name) VALUES ('i2', 'from f2')");
        await Eventually.TrueAsync(() => Name(f1, "b1") == "oven" && AppDb.Count(f1.DbPath, "items") == 1, "f2's rows reach f1 directly");
        AppDb.Exec(f1.DbPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a1', 'f1', 'press')");
        await Eventually.TrueAsync(() => Name(hq, "a1") == "press", "f1's own row reaches the hub");
        var since = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => f1.Hosted.Board.Find(hq.Site)?.LastSuccess > since, "f1 completes another round with the hub");

        Assert.Empty(f1.Db.Status.GetRejections());
        Assert.Null(Name(hq, "b1"));
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "items"));
        Assert.Equal(0L, hq.Db.Vector[f2.Site]);
    }

    [Fact]
    public async Task OwnerColumnThatTheTableLacks_FailsAtStart()
    {
        using var dir = new TempDir();
        var path = dir.Db("bad");
        AppDb.Create(path);
        var e = await Assert.ThrowsAsync<SchemaException>(() => TestAgent.StartAsync(path, "f1/edge-0",
            settings: new Dictionary<string, string?> { ["EdgeSync:Tables:items:OwnerColumn"] = "cluster_id" }));
        Assert.Contains("OwnerColumn", e.Message, StringComparison.Ordinal);
        Assert.Contains("cluster_id", e.Message, StringComparison.Ordinal);
    }
}
