using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Limits;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Apply;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Grpc.Core;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Many factories push to one hub at once: the hub's applier takes their batches one after another. Each pusher must
/// get its own answer: its rows held and a vector covering them, or its own refusal, never another's.
/// </summary>
public sealed class PushApplierTests
{
    private const int Rows = 40, BatchesPerPush = 3;

    [Fact]
    public async Task ConcurrentPushesFromManyFactories_AllLand_AndEachReplyCoversItsOwnBatches()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        var factories = Enumerable.Range(1, 8).Select(i => new RawPeer(hq.Url, $"f{i}/edge-0", dir.Db($"f{i}"))).ToList();
        try
        {
            var (replies, _) = await PushAllWhileHeldAsync(hq, factories, bad: null, ct);

            for (int i = 0; i < factories.Count; i++)
            {
                var reply = await replies[i];
                Assert.True(Wire.ToVector(reply.Vector)[factories[i].Site] >= Rows * BatchesPerPush,
                    $"{factories[i].Site}'s reply covers its own batches: {string.Join(", ", reply.Vector)}");
                Assert.Equal(Rows * BatchesPerPush, AppDb.Count(hq.DbPath, "readings", $"device = 'flood' AND id / 1000000 = {i + 1}"));
            }

            Assert.Equal(factories.Count * Rows * BatchesPerPush, AppDb.Count(hq.DbPath, "readings"));
        }
        finally
        {
            factories.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task OneRefusedBatchAmongConcurrentPushes_IsRefusedToItsPusherAlone_AndTheOthersLand()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        var factories = Enumerable.Range(1, 4).Select(i => new RawPeer(hq.Url, $"f{i}/edge-0", dir.Db($"f{i}"))).ToList();
        using var forger = new RawPeer(hq.Url, "f9/edge-0", dir.Db("f9"));
        try
        {
            var (replies, refused) = await PushAllWhileHeldAsync(hq, factories, forger, ct);

            var e = await Assert.ThrowsAsync<RpcException>(() => refused!);
            Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
            Assert.Equal(AuthorizationRule.Origin, e.Trailers.GetValue(UnauthorizedBatchException.RuleTrailer));
            for (int i = 0; i < factories.Count; i++)
            {
                var reply = await replies[i];
                Assert.True(Wire.ToVector(reply.Vector)[factories[i].Site] >= Rows * BatchesPerPush);
            }

            Assert.Equal(factories.Count * Rows * BatchesPerPush, AppDb.Count(hq.DbPath, "readings"));
            Assert.Equal(0L, AppDb.Count(hq.DbPath, "items")); // the forged row
            Assert.Equal(0L, hq.Db.Vector["f8/edge-0"]);
        }
        finally
        {
            factories.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task PushCancelledWhileQueued_IsNeverApplied_AndTheQueueGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        using var quitter = new RawPeer(hq.Url, "f1/edge-0", dir.Db("f1"));
        using var stayer = new RawPeer(hq.Url, "f2/edge-0", dir.Db("f2"));
        var limiter = hq.Service<PeerStreamLimiter>();
        Task<PushReply> quit, stay;
        using (await hq.Service<PushAppliers>().For(hq.Hosted.Name).HoldAsync(ct))
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quit = quitter.PushAsync(RawPeer.AppendBatches(quitter.Site, 1_000_000, BatchesPerPush, Rows), cancellationToken: cancel.Token);
            stay = stayer.PushAsync(RawPeer.AppendBatches(stayer.Site, 2_000_000, BatchesPerPush, Rows), cancellationToken: ct);
            await Eventually.TrueAsync(() => limiter.OpenBy(quitter.Site) == 1 && limiter.OpenBy(stayer.Site) == 1, "both pushes open at the hub");
            await cancel.CancelAsync();
            await Eventually.TrueAsync(() => limiter.OpenBy(quitter.Site) == 0, "the hub let the cancelled push go while its batch was queued");
        }

        await Assert.ThrowsAnyAsync<Exception>(() => quit);
        var reply = await stay;
        Assert.True(Wire.ToVector(reply.Vector)[stayer.Site] >= Rows * BatchesPerPush);
        Assert.Equal(Rows * BatchesPerPush, AppDb.Count(hq.DbPath, "readings"));
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "readings", "id / 1000000 = 1"));
        Assert.Equal(0L, hq.Db.Vector[quitter.Site]);
    }

    [Fact]
    public async Task Applier_TakesTurnsBetweenPeers_AndSkipsABatchWhosePusherGaveUp()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string path = dir.Db("hub");
        AppDb.Create(path);
        using var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = "hub" }, ct);
        db.EnableTable("readings", TablePolicy.Append, ct);
        var endpoint = new SyncEndpoint(db);
        var order = new List<string>();
        await using var applier = new PushApplier(metrics: null);
        var batches = new Dictionary<string, List<byte[]>>
        {
            ["x"] = RawPeer.AppendBatches("x", 1_000_000, 4, 5),
            ["y"] = RawPeer.AppendBatches("y", 2_000_000, 2, 5),
            ["z"] = RawPeer.AppendBatches("z", 3_000_000, 1, 5),
            ["q"] = RawPeer.AppendBatches("q", 4_000_000, 1, 5),
        };
        var inbound = batches.Keys.ToDictionary(p => p, p => new Inbound(endpoint, p, AgentRole.Peer, b => order.Add($"{p}{b.SenderVector[p] / 5}")));
        var next = batches.Keys.ToDictionary(p => p, _ => 0);
        Task<ApplyResult> Push(string peer, CancellationToken token) =>
            applier.ApplyAsync(peer, inbound[peer], batches[peer][next[peer]++], token);

        var applies = new List<Task<ApplyResult>>();
        Task<ApplyResult> gaveUp;
        using (await applier.HoldAsync(ct))
        {
            using var cancel = new CancellationTokenSource();
            applies.AddRange([Push("x", ct), Push("x", ct), Push("x", ct), Push("y", ct)]);
            gaveUp = Push("q", cancel.Token);
            applies.AddRange([Push("x", ct), Push("z", ct), Push("y", ct)]);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp); // answered at once, still queued
        }

        await Task.WhenAll(applies).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(["x1", "y1", "z1", "x2", "y2", "x3", "x4"], order);
        Assert.Equal(0L, db.Vector["q"]);
        Assert.Equal(35L, AppDb.Count(path, "readings"));
    }

    /// <summary>
    /// Holds the hub's applier, opens every push (and the forger's, when given) so that all their batches queue at once,
    /// then lets the applier go. Returns the pushes' replies (the forger's apart).
    /// </summary>
    private static async Task<(List<Task<PushReply>> Replies, Task<PushReply>? Refused)> PushAllWhileHeldAsync(
        TestAgent hq, List<RawPeer> factories, RawPeer? bad, CancellationToken ct)
    {
        var limiter = hq.Service<PeerStreamLimiter>();
        using (await hq.Service<PushAppliers>().For(hq.Hosted.Name).HoldAsync(ct))
        {
            var replies = factories.Select((f, i) =>
                f.PushAsync(RawPeer.AppendBatches(f.Site, (i + 1) * 1_000_000L, BatchesPerPush, Rows), cancellationToken: ct)).ToList();
            var refused = bad is null ? null : bad.PushAsync(Forged(bad.Site, "f8/edge-0"));
            var all = bad is null ? factories : [.. factories, bad];
            await Eventually.TrueAsync(() => all.All(f => limiter.OpenBy(f.Site) == 1), "every push open at the hub, its first batch queued",
                diagnostics: () => string.Join(", ", all.Select(f => $"{f.Site}: {limiter.OpenBy(f.Site)}")));
            Assert.Equal(0L, AppDb.Count(hq.DbPath, "readings")); // nothing applied while the applier is held
            return (replies, refused);
        }
    }

    /// <summary>A batch from <paramref name="sender"/> carrying a write that claims to be <paramref name="victim"/>'s (another cluster).</summary>
    private static ChangeBatch Forged(string sender, string victim)
    {
        var clock = new CellClock(new Hlc(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16), victim, 1, default, "");
        var row = new RowChange(["forged"], RowState.Alive(1, ["forged", $"written by '{victim}'", null, null], [clock, clock, clock, clock]));
        return new ChangeBatch(sender, VersionVector.Empty.With(victim, 1), [new OriginRange(victim, 0, 1)],
            [new TableChangeSet("items", ["id", "name", "qty", "photo"], ["id"], [row])]);
    }
}
