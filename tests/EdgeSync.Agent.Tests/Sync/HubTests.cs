using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

public sealed class HubTests
{
    [Fact]
    public async Task HubAndTwoFactories_RelayReachesEveryone_WithoutEcho_AndDirectionsHold()
    {
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hub-hq", role: AgentRole.Hub);
        await using var f1 = await TestAgent.StartAsync(dir.Db("f1"), "hub-f1", hub: hq.Url, record: ["edgesync_changes_received"]);
        await using var f2 = await TestAgent.StartAsync(dir.Db("f2"), "hub-f2", hub: hq.Url, record: ["edgesync_changes_received"]);

        // items: both ways. readings: up (factory → hub). settings: down (hub → factories).
        for (int i = 0; i < 5; i++)
        {
            AppDb.Exec(f1.DbPath, "INSERT INTO items(id, name) VALUES ($1, 'f1')", $"f1-{i}");
        }

        for (int i = 0; i < 3; i++)
        {
            AppDb.Exec(f2.DbPath, "INSERT INTO items(id, name) VALUES ($1, 'f2')", $"f2-{i}");
            AppDb.Exec(hq.DbPath, "INSERT INTO settings(key, value) VALUES ($1, 'from hq')", $"cfg-{i}");
        }

        AppDb.InsertReadings(f1.DbPath, 1, 50, "f1");
        AppDb.InsertReadings(f2.DbPath, 1_001, 30, "f2");
        AppDb.InsertReadings(hq.DbPath, 5_001, 1, "hq");
        AppDb.Exec(f1.DbPath, "INSERT INTO settings(key, value) VALUES ('local-f1', 'stays at f1')");

        await Eventually.TrueAsync(
            () => AppDb.Count(hq.DbPath, "items") == 8 && AppDb.Count(f1.DbPath, "items") == 8 && AppDb.Count(f2.DbPath, "items") == 8
                && AppDb.Count(hq.DbPath, "readings") == 81 && AppDb.Count(f1.DbPath, "settings") == 4 && AppDb.Count(f2.DbPath, "settings") == 3,
            "items everywhere, readings at hq, hq settings at both factories",
            diagnostics: () => string.Join("\n", new[] { hq, f1, f2 }.Select(r =>
                $"{r.Site}: items={AppDb.Count(r.DbPath, "items")} readings={AppDb.Count(r.DbPath, "readings")} settings={AppDb.Count(r.DbPath, "settings")}")));

        // Let both factories finish two more full rounds with the hub, so anything wrongly sent would have arrived.
        await WaitForRoundsAsync(f1, hq.Site);
        await WaitForRoundsAsync(f2, hq.Site);

        // up: f2's and hq's readings never reach f1 (and f1's never reach f2); down: f1's local setting never reaches hq or f2.
        Assert.Equal(50L, AppDb.Count(f1.DbPath, "readings"));
        Assert.Equal(30L, AppDb.Count(f2.DbPath, "readings"));
        Assert.Equal(81L, AppDb.Count(hq.DbPath, "readings"));
        Assert.Equal(0L, AppDb.Count(hq.DbPath, "settings", "key = 'local-f1'"));
        Assert.Equal(0L, AppDb.Count(f2.DbPath, "settings", "key = 'local-f1'"));

        // Relay keeps origins: f2 holds all of f1's changes as f1's, and f1 received only f2's 3 items and hq's 3
        // settings — none of its own 56 changes came back (no echo).
        Assert.Equal(f1.Db.Vector[f1.Site], f2.Db.Vector[f1.Site]);
        Assert.Equal(6, f1.Metric("edgesync_changes_received").Sum(f1.Site));
        Assert.Equal(8, f2.Metric("edgesync_changes_received").Sum(f2.Site));
    }

    [Fact]
    public async Task FactoryReplicasThatAllTalkToTheHub_StillGetEachOthersUpRows()
    {
        // Every replica of a factory syncs with the hub and with its siblings. The hub withholds 'up' rows from
        // factories; it must not make a replica believe it holds its sibling's rows when it does not.
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        string r0Url = TestAgent.DeadUrl(); // r0 starts later on this address, after the hub already holds r1's rows
        await using var r1 = await TestAgent.StartAsync(dir.Db("r1"), "f1/edge-1", hub: hq.Url, peers: [r0Url]);
        AppDb.InsertReadings(r1.DbPath, 1, 1_000, "r1");
        await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 1_000, "r1's readings at the hub");
        await using var r0 = await TestAgent.StartAsync(dir.Db("r0"), "f1/edge-0", hub: hq.Url, listen: r0Url);

        await Eventually.TrueAsync(
            () => AppDb.Count(hq.DbPath, "readings") == 1_000 && AppDb.Count(r0.DbPath, "readings") == 1_000,
            "every reading at the hub and at the sibling",
            diagnostics: () => $"hq={AppDb.Count(hq.DbPath, "readings")} r0={AppDb.Count(r0.DbPath, "readings")} r1={AppDb.Count(r1.DbPath, "readings")}");
    }

    private static async Task WaitForRoundsAsync(TestAgent factory, string hubSite)
    {
        for (int round = 0; round < 2; round++)
        {
            var since = DateTimeOffset.UtcNow;
            await Eventually.TrueAsync(() => factory.Hosted.Board.Find(hubSite)?.LastSuccess > since, $"{factory.Site} completes a round with the hub");
        }
    }
}
