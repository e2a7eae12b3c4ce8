using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A fleet upgrades one agent at a time (issue 13 item 5): a factory limited to the previous protocol (2, batches
/// without column types, as the previous release sends and reads them) syncs both ways through a hub that speaks the
/// current one (3) with another factory that speaks 3 too. A limited agent refuses any batch in the newer encoding, so
/// a row reaching it proves the hub spoke 2 to it.
/// </summary>
public sealed class MixedProtocolTests
{
    [Fact]
    public async Task FactoryOnThePreviousProtocol_SyncsBothWaysThroughACurrentHub_WithACurrentFactory()
    {
        using var dir = new TempDir();
        var previous = new Dictionary<string, string?> { ["EdgeSync:ProtocolVersion"] = "2" };
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "proto-hq", role: AgentRole.Hub);
        await using var old = await TestAgent.StartAsync(dir.Db("old"), "proto-old/0", hub: hq.Url, settings: previous);
        await using var current = await TestAgent.StartAsync(dir.Db("current"), "proto-new/0", hub: hq.Url);

        AppDb.Exec(old.DbPath, "INSERT INTO items(id, name) VALUES ('from-old', 'protocol 2')");
        AppDb.Exec(current.DbPath, "INSERT INTO items(id, name) VALUES ('from-new', 'protocol 3')");
        AppDb.Exec(hq.DbPath, "INSERT INTO settings(key, value) VALUES ('cfg', 'from hq')");
        AppDb.InsertReadings(old.DbPath, 1, 20, "old");

        TestAgent[] all = [hq, old, current];
        await Eventually.TrueAsync(
            () => all.All(a => AppDb.Count(a.DbPath, "items") == 2)
                && AppDb.Count(old.DbPath, "settings") == 1 && AppDb.Count(current.DbPath, "settings") == 1
                && AppDb.Count(hq.DbPath, "readings") == 20,
            "items from both factories everywhere, the hub's setting at both, the old factory's readings at the hub",
            diagnostics: () => string.Join("\n", all.Select(a => $"{a.Site}: {AppDb.Dump(a.DbPath, "items", "settings")}")));
    }

    [Fact]
    public void AgentRefusesAProtocolItDoesNotSpeak()
    {
        var result = new EdgeSync.Agent.Configuration.AgentOptionsValidator().Validate(null, new AgentOptions { Databases = ["a.db"], ProtocolVersion = 1 });

        Assert.True(result.Failed);
        Assert.Contains("ProtocolVersion must be from 2 to 4", result.FailureMessage, StringComparison.Ordinal);
    }
}
