using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>Peers that are gone for good are forgotten after <c>ForgetPeersAfterMinutes</c>; peers that are merely quiet are not.</summary>
public sealed class MembershipTests
{
    private static Dictionary<string, string?> Settings() => new()
    {
        ["EdgeSync:ForgetPeersAfterMinutes"] = "0.05", // 3 s
        ["EdgeSync:IdleSyncIntervalMs"] = "500",
    };

    private static bool Knows(TestAgent agent, string peer) =>
        agent.Db.Status.GetPeerBacklogs().Any(p => p.Peer == peer) || agent.Db.Status.GetSyncStatus().Any(s => s.ClusterId == peer)
        || agent.Hosted.Board.Find(peer) is not null;

    [Fact]
    public async Task APeerAbsentLongerThanForgetPeersAfterMinutes_IsForgotten_WhileAQuietConnectedOneIsKept()
    {
        using var dir = new TempDir();
        string urlA = TestAgent.DeadUrl(), urlB = TestAgent.DeadUrl();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "member-a", peers: [urlB], listen: urlA, settings: Settings());
        var b = await TestAgent.StartAsync(dir.Db("b"), "member-b", peers: [urlA], listen: urlB, settings: Settings());
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('x', 'from a')");
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items") == 1, "the row reached b");

        // Both stay up, quiet, for more than twice the threshold: neither forgets the other.
        await Task.Delay(TimeSpan.FromSeconds(7), TestContext.Current.CancellationToken);
        Assert.True(Knows(a, b.Site), "a still knows the quiet, connected b");
        Assert.True(Knows(b, a.Site), "b still knows the quiet, connected a");

        // b goes away for good: a forgets it (vector, cluster_sync rows, gauges).
        await b.DisposeAsync();
        await Eventually.TrueAsync(() => !Knows(a, b.Site), "a forgot b after 3 s without contact",
            diagnostics: () => string.Join("; ", a.Db.Status.GetSyncStatus().Select(s => $"{s.SyncId} {s.LastSyncTime}")));
        Assert.DoesNotContain(b.Site, (await a.GaugeAsync("edgesync_peer_backlog_changes", "peer")).Keys);
    }
}
