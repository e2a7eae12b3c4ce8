using EdgeSync.Agent.Lifecycle;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Lifecycle;

public sealed class RetentionTests
{
    private static Dictionary<string, string?> Retention(int maxRows) => new()
    {
        ["EdgeSync:Tables:readings:Retention:MaxRows"] = maxRows.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EdgeSync:RetentionIntervalMs"] = "200",
        ["EdgeSync:RetentionBatchRows"] = "100",
    };

    [Fact]
    public async Task Retention_KeepsAFactoryTableBounded_WhileRowsFlow_AndTheHubGetsEveryRow()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url, settings: Retention(300),
            record: ["edgesync_retention_pruned_rows"]);

        for (int batch = 0; batch < 20; batch++)
        {
            AppDb.InsertReadings(f.DbPath, 1 + batch * 100, 100, "f");
            await Task.Delay(50, ct);
        }

        await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 2_000 && AppDb.Count(f.DbPath, "readings") <= 300,
            "every row at the hub, at most 300 left at the factory",
            diagnostics: () => $"hq={AppDb.Count(hq.DbPath, "readings")} f={AppDb.Count(f.DbPath, "readings")}");

        Assert.Equal(2_000L - AppDb.Count(f.DbPath, "readings"), f.Metric("edgesync_retention_pruned_rows").SumTags("database=app,table=readings"));
        Assert.Equal(2_000L, (long)AppDb.Scalar(f.DbPath, "SELECT max(id) FROM readings")!); // the newest rows are the ones kept
    }

    [Fact]
    public async Task Retention_PrunesNothingTheHubDoesNotHold_UntilTheHubIsBack()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        string hubUrl = TestAgent.DeadUrl();
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hubUrl, settings: Retention(10));
        AppDb.InsertReadings(f.DbPath, 1, 100, "f");
        await Eventually.TrueAsync(() => f.Db.Vector[f.Site] >= 100, "the rows are captured");
        var service = f.Service<LifecycleService>();
        long passes = service.Passes;
        await Eventually.TrueAsync(() => service.Passes >= passes + 3, "three retention passes");

        Assert.Equal(100L, AppDb.Count(f.DbPath, "readings"));

        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub, listen: hubUrl);
        await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 100 && AppDb.Count(f.DbPath, "readings") <= 10,
            "the hub holds every row, and the factory kept at most 10",
            diagnostics: () => $"hq={AppDb.Count(hq.DbPath, "readings")} f={AppDb.Count(f.DbPath, "readings")}");
    }
}
