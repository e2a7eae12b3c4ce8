using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Export;

/// <summary>
/// The hub's export into a real three-node JetStream cluster (R3 stream), read back with a plain consumer: every row
/// exactly once, in order per table and origin, through a stream leader killed mid-export, a network cut and a
/// change of the exporting hub replica.
/// </summary>
public sealed class ExportTests
{
    private const string Stream = "EDGESYNC";

    private static Dictionary<string, string?> Export(IReadOnlyList<string> urls)
    {
        var s = new Dictionary<string, string?>
        {
            ["EdgeSync:Export:Tables:0"] = "readings",
            ["EdgeSync:Export:Stream"] = Stream,
            ["EdgeSync:Export:MaxMessageRows"] = "50",
            ["EdgeSync:Export:LeaseSeconds"] = "3",
            ["EdgeSync:Export:IdleMs"] = "50",
        };
        for (int i = 0; i < urls.Count; i++)
        {
            s[$"EdgeSync:Export:Urls:{i}"] = urls[i];
        }

        return s;
    }

    [Fact]
    public async Task Export_StreamLeaderKilledMidExport_EveryRowOnceInOrderPerOrigin()
    {
        await using var nats = await NatsCluster.StartAsync();
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub-0", role: AgentRole.Hub, settings: Export(nats.Urls));
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url);

        var expected = new HashSet<long>();
        bool killed = false;
        var restarted = Task.CompletedTask;
        for (int round = 0; round < 30; round++)
        {
            AppDb.InsertReadings(f.DbPath, 1 + round * 100, 100, "f");
            AppDb.InsertReadings(hq.DbPath, 1_000_001 + round * 100, 100, "hq");
            expected.UnionWith(Enumerable.Range(1 + round * 100, 100).Select(i => (long)i));
            expected.UnionWith(Enumerable.Range(1_000_001 + round * 100, 100).Select(i => (long)i));
            if (!killed && round >= 10 && (await ExportReadback.ReadAsync(nats, Stream)).RowCount("readings") > 0)
            {
                int leader = await nats.LeaderOfAsync(Stream);
                nats.Kill(leader); // mid-export: rows keep coming while a new leader is elected
                killed = true;
                restarted = Task.Delay(2_000, TestContext.Current.CancellationToken).ContinueWith(_ => nats.Start(leader), TaskScheduler.Default);
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(killed, "the stream leader was killed while rows were exported");
        await restarted;
        var stream = await WaitForRowsAsync(nats, expected.Count);
        Assert.Equal(expected, stream.AssertExactlyOnceInOrder("readings"));
        Assert.Equal(["f1/edge-0", "hq/hub-0"], stream.Messages.Select(m => m.Headers["EdgeSync-Origin"]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(stream.Messages, m => Assert.Equal("app", m.Headers["EdgeSync-Database"]));
    }

    [Fact]
    public async Task Export_NetworkCutBetweenHubAndNats_EveryRowOnceInOrderPerOrigin()
    {
        await using var nats = await NatsCluster.StartAsync();
        var proxies = Enumerable.Range(0, 3).Select(i => new TcpProxy(nats.ClientPort(i))).ToList();
        using var dir = new TempDir();
        try
        {
            await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub-0", role: AgentRole.Hub, settings: Export(proxies.Select(p => p.Url).ToList()));
            var expected = new HashSet<long>();
            for (int round = 0; round < 30; round++)
            {
                AppDb.InsertReadings(hq.DbPath, 1 + round * 100, 100, "hq");
                expected.UnionWith(Enumerable.Range(1 + round * 100, 100).Select(i => (long)i));
                if (round == 10)
                {
                    proxies.ForEach(p => p.Cut());
                }
                else if (round == 20)
                {
                    proxies.ForEach(p => p.Restore());
                }

                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            var stream = await WaitForRowsAsync(nats, expected.Count);
            Assert.Equal(expected, stream.AssertExactlyOnceInOrder("readings"));
        }
        finally
        {
            foreach (var p in proxies)
            {
                await p.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Export_OneHubReplicaExportsAtATime_AndTheOtherTakesOverWhenItStops()
    {
        await using var nats = await NatsCluster.StartAsync();
        using var dir = new TempDir();
        string urlB = TestAgent.DeadUrl();
        var a = await TestAgent.StartAsync(dir.Db("a"), "hq/hub-0", role: AgentRole.Hub, peers: [urlB], settings: Export(nats.Urls));
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "hq/hub-1", role: AgentRole.Hub, peers: [a.Url], listen: urlB, settings: Export(nats.Urls));
        try
        {
            AppDb.InsertReadings(a.DbPath, 1, 500, "a");
            await WaitForRowsAsync(nats, 500);
            var holders = new List<TestAgent>();
            foreach (var x in new[] { a, b })
            {
                if (await HoldsAsync(x))
                {
                    holders.Add(x);
                }
            }

            Assert.Single(holders);

            // The holder goes away; the other replica (which holds the rows through sync) takes over and goes on.
            var (gone, stays) = holders[0] == a ? (a, b) : (b, a);
            await gone.StopAsync();
            AppDb.InsertReadings(stays.DbPath, 501, 500, "stays");
            var stream = await WaitForRowsAsync(nats, 1_000);
            Assert.Equal(Enumerable.Range(1, 1_000).Select(i => (long)i).ToHashSet(), stream.AssertExactlyOnceInOrder("readings"));
            Assert.True(await HoldsAsync(stays), "the remaining replica holds the lease");
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    private static async Task<bool> HoldsAsync(TestAgent agent) =>
        (await agent.GaugeAsync("edgesync_export_lease_holder", "database")).GetValueOrDefault("app") == 1;

    private static async Task<ExportReadback> WaitForRowsAsync(NatsCluster nats, int rows)
    {
        ExportReadback? stream = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                stream = await ExportReadback.ReadAsync(nats, Stream);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException)
            {
                return false;
            }

            return stream.RowCount("readings") >= rows;
        }, $"{rows} rows in the stream", TimeSpan.FromSeconds(90), () => $"{stream?.RowCount("readings")} rows");
        await Task.Delay(1_000, TestContext.Current.CancellationToken); // anything more (a duplicate) would arrive now
        return await ExportReadback.ReadAsync(nats, Stream);
    }
}
