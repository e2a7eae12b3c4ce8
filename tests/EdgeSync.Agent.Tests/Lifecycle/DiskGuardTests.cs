using System.Net;
using EdgeSync.Agent.Lifecycle;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Tests.Lifecycle;

public sealed class DiskGuardTests
{
    [Fact]
    public async Task Ingest_BelowTheFreeSpaceWatermark_Is507WithRetryAfter_AndResumesOnceSpaceIsFreed()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var probe = new SettableProbe { Free = 500_000 };
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/edge-0",
            settings: new Dictionary<string, string?> { ["EdgeSync:MinFreeBytes"] = "1000000", ["EdgeSync:FreeSpaceRetryAfterSeconds"] = "7" },
            services: s => s.AddSingleton<IFreeSpaceProbe>(probe));

        using var refused = await a.Http.PostAsync("/v1/tables/readings/rows", AckLevelTests.Readings(1, 3), ct);

        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("MinFreeBytes", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "readings"));
        string metrics = await a.Http.GetStringAsync("/metrics", ct);
        Assert.Contains("edgesync_volume_free_bytes{", metrics, StringComparison.Ordinal);
        Assert.Contains("edgesync_volume_min_free_bytes{", metrics, StringComparison.Ordinal);
        Assert.Contains("reason=\"insufficient_storage\"", metrics, StringComparison.Ordinal);

        probe.Free = 2_000_000;
        using var accepted = await a.Http.PostAsync("/v1/tables/readings/rows", AckLevelTests.Readings(1, 3), ct);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(3L, AppDb.Count(a.DbPath, "readings"));
    }

    [Fact]
    public async Task Ingest_OnARealSmallVolume_IsRefusedBeforeItFills_AndResumesWhenSpaceIsFreed()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        using var volume = SmallVolume.Mount(dir.File("small"), 8);
        string mount = volume.Path;
        string db = Path.Combine(mount, "app.db");
        string filler = Path.Combine(mount, "filler");
        await using var a = await TestAgent.StartAsync(db, "f1/edge-0",
            settings: new Dictionary<string, string?> { ["EdgeSync:MinFreeBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        long free = new DriveInfo(mount).AvailableFreeSpace;
        await File.WriteAllBytesAsync(filler, new byte[free - 1024 * 1024], ct); // leaves 1 MiB free, below the 2 MiB watermark

        using var refused = await a.Http.PostAsync("/v1/tables/readings/rows", AckLevelTests.Readings(1, 10), ct);
        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);

        File.Delete(filler);
        using var accepted = await a.Http.PostAsync("/v1/tables/readings/rows", AckLevelTests.Readings(1, 10), ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(10L, AppDb.Count(db, "readings"));
        await a.StopAsync();
    }

    private sealed class SettableProbe : IFreeSpaceProbe
    {
        public long Free { get; set; }

        public long? FreeBytes(string path) => Free;
    }
}
