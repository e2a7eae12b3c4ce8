using System.Text.Json;
using EdgeSync.Agent;
using EdgeSync.Agent.Console;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Console.Tests.Api;

/// <summary>What the console shows of acknowledgement levels, retention and the NATS export (issue 11's "as the other issues land").</summary>
public sealed class FleetLifecycleApiTests
{
    [Fact]
    public async Task FactoryReplica_ShowsWhatTheHubDoesNotHoldYet_AndItsRetention()
    {
        using var dir = new TempDir();
        string hubUrl = TestAgent.DeadUrl();
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hubUrl, settings: new Dictionary<string, string?>
        {
            ["EdgeSync:Tables:readings:Retention:MaxRows"] = "10",
            ["EdgeSync:RetentionIntervalMs"] = "200",
        });
        AppDb.InsertReadings(f.DbPath, 1, 100, "f");

        // The hub is down: the 100 rows are not held there, and retention keeps them all.
        JsonElement db = default;
        await Eventually.TrueAsync(async () =>
        {
            db = (await FleetApiTests.GetJsonAsync(f.Http, "/v1/fleet")).GetProperty("databases")[0];
            return Level(db, "hub") is >= 100;
        }, "the factory's console shows the 100 changes the hub lacks", diagnostics: () => db.ToString());
        var retention = Readings(db).GetProperty("retention");
        Assert.Equal("hub", retention.GetProperty("level").GetString());
        Assert.Equal(10, retention.GetProperty("maxRows").GetInt64());
        Assert.Equal(JsonValueKind.Null, retention.GetProperty("maxAge").ValueKind);
        Assert.Equal(0, retention.GetProperty("pruned").GetInt64());
        Assert.Equal(JsonValueKind.Null, db.GetProperty("export").ValueKind); // only a hub exports
        var items = db.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "items");
        Assert.Equal(JsonValueKind.Null, items.GetProperty("retention").ValueKind);

        // The hub comes up: it holds them, the lag falls to 0, and retention prunes all but 10.
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub, listen: hubUrl);
        await Eventually.TrueAsync(async () =>
        {
            db = (await FleetApiTests.GetJsonAsync(f.Http, "/v1/fleet")).GetProperty("databases")[0];
            return Level(db, "hub") == 0 && Readings(db).GetProperty("retention").GetProperty("pruned").GetInt64() >= 90;
        }, "the hub holds every change, and the console counts the rows retention pruned", diagnostics: () => db.ToString());
        Assert.Equal(AppDb.Count(f.DbPath, "readings"), 100 - Readings(db).GetProperty("retention").GetProperty("pruned").GetInt64());
    }

    [Fact]
    public void AStalledExport_IsAProblem_OnlyForTheLeaseHolder()
    {
        static FleetDatabase Db(FleetExport export) =>
            new("app", "hq", 0, null, [], 0, 0, [], [], [new FleetAcknowledgement("exported", 5)], export);

        var stalled = FleetProblems.Find([], [Db(new FleetExport(Holder: true, LagChanges: 5, LagSeconds: 301, Published: 10))]);
        var problem = Assert.Single(stalled);
        Assert.Equal("EdgeSyncExportStalled", problem.Alert);
        Assert.Equal("critical", problem.Severity);
        Assert.EndsWith("#edgesyncexportstalled", problem.Runbook, StringComparison.Ordinal);
        Assert.Empty(FleetProblems.Find([], [Db(new FleetExport(Holder: true, LagChanges: 5, LagSeconds: 299, Published: 10))]));
        Assert.Empty(FleetProblems.Find([], [Db(new FleetExport(Holder: false, LagChanges: 0, LagSeconds: 0, Published: 0))]));
    }

    private static long? Level(JsonElement db, string level) =>
        db.GetProperty("acknowledged").EnumerateArray().Where(a => a.GetProperty("level").GetString() == level)
            .Select(a => (long?)a.GetProperty("changes").GetInt64()).FirstOrDefault();

    private static JsonElement Readings(JsonElement db) =>
        db.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "readings");
}
