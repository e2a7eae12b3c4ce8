using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Lifecycle;

/// <summary>
/// Issue 10's "done when": a factory whose database lives on a small volume (a 16 MiB tmpfs) writes ten times more
/// telemetry than the volume holds, through ingest as an application would, and keeps running: retention deletes what
/// the hub holds, the disk guard answers 507 (the application waits and retries) rather than let the volume fill, and
/// the hub ends with every row exactly once.
/// </summary>
public sealed class VolumeTurnoverTests
{
    private const int VolumeMiB = 16;
    private const int RowsPerRequest = 1_000;
    private const int MaxRows = 2_000;

    [Fact]
    public async Task AFactoryWritingTenTimesItsVolume_KeepsRunning_AndTheHubGetsEveryRowOnce()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        using var volume = SmallVolume.Mount(dir.File("volume"), VolumeMiB);
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        await using var f = await TestAgent.StartAsync(Path.Combine(volume.Path, "app.db"), "f1/edge-0", hub: hq.Url, settings: new Dictionary<string, string?>
        {
            ["EdgeSync:Tables:readings:Retention:MaxRows"] = MaxRows.ToString(CultureInfo.InvariantCulture),
            ["EdgeSync:RetentionIntervalMs"] = "200",
            ["EdgeSync:RetentionBatchRows"] = "2000",
            ["EdgeSync:MinFreeBytes"] = (4L * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
            ["EdgeSync:FreeSpaceRetryAfterSeconds"] = "1",
        });

        string device = new('x', 500); // about 540 bytes a row on disk: a few thousand rows fill a MiB
        long written = 0, next = 1, refused = 0;
        var clock = Stopwatch.StartNew();
        var sinceAccepted = Stopwatch.StartNew();
        while (written < 10 * volume.Bytes)
        {
            Assert.True(sinceAccepted.Elapsed < TimeSpan.FromMinutes(2), $"ingest refused (507) for 2 minutes after {next - 1:N0} rows: "
                + $"{new DriveInfo(volume.Path).AvailableFreeSpace:N0} bytes free on the volume, {f.Db.ReusableBytes():N0} reusable in the file, "
                + $"{AppDb.Count(f.DbPath, "readings"):N0} rows at the factory, {AppDb.Count(hq.DbPath, "readings"):N0} at the hub");
            string body = "[" + string.Join(",", Enumerable.Range(0, RowsPerRequest)
                .Select(i => $$"""{"id":{{next + i}},"device":"{{device}}","ts":{{next + i}},"value":1.5}""")) + "]";
            using var response = await f.Http.PostAsync("/v1/tables/readings/rows", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            if (response.StatusCode == HttpStatusCode.InsufficientStorage)
            {
                refused++; // the disk guard: wait as told, and send the same rows again
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct);
                continue;
            }

            Assert.True(response.StatusCode == HttpStatusCode.OK,
                $"request for rows {next}.. answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            written += body.Length;
            sinceAccepted.Restart();
            next += RowsPerRequest;
        }

        long rows = next - 1;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{written / 1024 / 1024} MiB of rows ({rows:N0}) into a {VolumeMiB} MiB volume in {clock.Elapsed.TotalSeconds:0.0} s; 507 answered {refused} times");
        await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == rows, "the hub holds every row",
            timeout: TimeSpan.FromMinutes(3), diagnostics: () => $"hub {AppDb.Count(hq.DbPath, "readings")} of {rows}");
        Assert.Equal(rows, (long)AppDb.Scalar(hq.DbPath, "SELECT count(DISTINCT id) FROM readings")!);
        Assert.Equal(rows * (rows + 1) / 2, (long)AppDb.Scalar(hq.DbPath, "SELECT sum(id) FROM readings")!); // ids 1..rows, each once

        // The factory keeps what retention allows, the newest rows, and its volume never filled.
        await Eventually.TrueAsync(() => AppDb.Count(f.DbPath, "readings") <= MaxRows + RowsPerRequest, "retention bounds the factory's table",
            diagnostics: () => $"factory {AppDb.Count(f.DbPath, "readings")}");
        Assert.Equal(rows, (long)AppDb.Scalar(f.DbPath, "SELECT max(id) FROM readings")!);
        Assert.True(new DriveInfo(volume.Path).AvailableFreeSpace > 0, "the volume filled");
    }
}
