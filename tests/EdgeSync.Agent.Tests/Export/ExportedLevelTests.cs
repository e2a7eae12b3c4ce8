using System.Net;
using EdgeSync.Agent.Tests.Lifecycle;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Export;

/// <summary>
/// The <c>exported</c> level at a factory: learned from the hub through the peer conversation. Ingest with
/// <c>ack=exported</c> answers once HQ's stream holds the rows, and retention with <c>Level: exported</c> never deletes
/// a row the stream does not hold — even when the hub holds it.
/// </summary>
public sealed class ExportedLevelTests
{
    [Fact]
    public async Task Factory_WithTheExportCut_KeepsRowsTheHubHolds_AndAckExportedTimesOut_ThenBothProceedOnceExported()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nats = await NatsCluster.StartAsync();
        var proxies = Enumerable.Range(0, 3).Select(i => new TcpProxy(nats.ClientPort(i))).ToList();
        using var dir = new TempDir();
        try
        {
            var hubSettings = new Dictionary<string, string?>
            {
                ["EdgeSync:Export:Tables:0"] = "readings",
                ["EdgeSync:Export:LeaseSeconds"] = "3",
                ["EdgeSync:Export:IdleMs"] = "50",
            };
            for (int i = 0; i < 3; i++)
            {
                hubSettings[$"EdgeSync:Export:Urls:{i}"] = proxies[i].Url;
            }

            proxies.ForEach(p => p.Cut()); // HQ cannot reach NATS yet
            await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub-0", role: AgentRole.Hub, settings: hubSettings);
            await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url, settings: new Dictionary<string, string?>
            {
                ["EdgeSync:Tables:readings:Retention:MaxRows"] = "10",
                ["EdgeSync:Tables:readings:Retention:Level"] = "exported",
                ["EdgeSync:RetentionIntervalMs"] = "200",
                ["EdgeSync:RetentionBatchRows"] = "50",
            });

            AppDb.InsertReadings(f.DbPath, 1, 300, "f");
            using (var late = await f.Http.PostAsync("/v1/tables/readings/rows?ack=exported&ackTimeoutMs=1500", AckLevelTests.Readings(301, 2), ct))
            {
                Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode); // the hub holds them, the stream does not
            }

            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 302, "the hub holds every row");
            var service = f.Service<EdgeSync.Agent.Lifecycle.LifecycleService>();
            long passes = service.Passes;
            await Eventually.TrueAsync(() => service.Passes >= passes + 3, "three retention passes at the factory");
            Assert.Equal(302L, AppDb.Count(f.DbPath, "readings")); // level hub would have pruned these

            proxies.ForEach(p => p.Restore());
            // HQ retries NATS with a backoff of up to 10 s (as long as an ack's default wait): first see it back.
            var export = hq.Service<EdgeSync.Agent.Export.ExportMetrics>();
            await Eventually.TrueAsync(() => export.Of(hq.Hosted.Name) is { Holder: true }, "HQ reaches NATS again and holds the export lease");
            using (var acked = await f.Http.PostAsync("/v1/tables/readings/rows?ack=exported", AckLevelTests.Readings(303, 2), ct))
            {
                Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
            }

            // Answered only once the stream held them: read it back right away.
            var stream = await ExportReadback.ReadAsync(nats, "EDGESYNC");
            var keys = stream.AssertExactlyOnceInOrder("readings");
            Assert.Contains(303L, keys);
            Assert.Contains(304L, keys);
            await Eventually.TrueAsync(() => AppDb.Count(f.DbPath, "readings") <= 10, "the factory prunes once the rows are exported",
                diagnostics: () => $"f={AppDb.Count(f.DbPath, "readings")}");
            Assert.Equal(304, (await ExportReadback.ReadAsync(nats, "EDGESYNC")).AssertExactlyOnceInOrder("readings").Count);
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
    public async Task AckHub_RowSurvivesTheFactoryBeingDestroyed_AndReachesTheStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nats = await NatsCluster.StartAsync();
        using var dir = new TempDir();
        var hubSettings = new Dictionary<string, string?> { ["EdgeSync:Export:Tables:0"] = "readings", ["EdgeSync:Export:IdleMs"] = "50" };
        for (int i = 0; i < 3; i++)
        {
            hubSettings[$"EdgeSync:Export:Urls:{i}"] = nats.Urls[i];
        }

        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub-0", role: AgentRole.Hub, settings: hubSettings);
        var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url);
        string factoryFile = f.DbPath;
        using (var acked = await f.Http.PostAsync("/v1/tables/readings/rows?ack=hub", AckLevelTests.Readings(7, 3), ct))
        {
            Assert.Equal(HttpStatusCode.OK, acked.StatusCode);
        }

        // The factory is destroyed: agent gone, its files deleted.
        await f.DisposeAsync();
        foreach (var file in new[] { factoryFile, factoryFile + "-wal", factoryFile + "-shm" })
        {
            File.Delete(file);
        }

        Assert.False(File.Exists(factoryFile));
        Assert.Equal(3L, AppDb.Count(hq.DbPath, "readings", "id BETWEEN 7 AND 9"));
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await ExportReadback.ReadAsync(nats, "EDGESYNC")).RowCount("readings") == 3;
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException)
            {
                return false; // the stream is not there yet
            }
        }, "the rows in HQ's stream");
        Assert.Equal([7L, 8L, 9L], (await ExportReadback.ReadAsync(nats, "EDGESYNC")).AssertExactlyOnceInOrder("readings").Order());
    }
}
