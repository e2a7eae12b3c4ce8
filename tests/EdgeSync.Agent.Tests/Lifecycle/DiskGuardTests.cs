using System.Diagnostics;
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
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/bin/mount"),
            "needs root on Linux to mount a size-limited tmpfs (CI runs as root)");
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        string mount = dir.File("small");
        Directory.CreateDirectory(mount);
        Run("/bin/mount", $"-t tmpfs -o size=8m tmpfs {mount}");
        try
        {
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
        finally
        {
            Run("/bin/umount", $"-l {mount}");
        }
    }

    private static void Run(string exe, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} {args}: {p.StandardError.ReadToEnd()}");
    }

    private sealed class SettableProbe : IFreeSpaceProbe
    {
        public long Free { get; set; }

        public long? FreeBytes(string path) => Free;
    }
}
