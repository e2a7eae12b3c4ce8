using EdgeSync.Agent.Limits;
using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A factory's push to a busy hub waits its turn behind other factories' pushes (the hub's applier). A change the
/// hub announces meanwhile (a configuration row) must not wait for that push: the factory pulls it at once.
/// </summary>
public sealed class PullOvertakesPushTests
{
    [Fact]
    public async Task HubChange_ReachesTheFactory_WhileTheFactorysOwnPushStillWaitsAtTheHub()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq", role: AgentRole.Hub);
        await using var factory = await TestAgent.StartAsync(dir.Db("f1"), "f1/edge-0", hub: hq.Url);
        AppDb.Exec(hq.DbPath, "INSERT INTO settings(key, value) VALUES ('sampling_ms', '1000')");
        await Eventually.TrueAsync(() => AppDb.Count(factory.DbPath, "settings") == 1, "the hub's first setting at the factory");

        // Another factory's batch holds the hub's applier, as a queue of pushes from the rest of the fleet would.
        var held = await hq.Service<PushAppliers>().For(hq.Hosted.Name).HoldAsync(ct);
        try
        {
            AppDb.InsertReadings(factory.DbPath, 1, 10, "f1"); // 'up': the factory pushes them, and the push waits at the hub's applier
            var limiter = hq.Service<PeerStreamLimiter>();
            await Eventually.TrueAsync(() => limiter.OpenBy(factory.Site) >= 2, "the factory's push open at the hub, beside its conversation",
                diagnostics: () => $"calls open by the factory: {limiter.OpenBy(factory.Site)}");

            AppDb.Exec(hq.DbPath, "UPDATE settings SET value = '250' WHERE key = 'sampling_ms'");

            await Eventually.TrueAsync(
                () => AppDb.Scalar(factory.DbPath, "SELECT value FROM settings WHERE key = 'sampling_ms'") as string == "250",
                "the hub's change at the factory while the factory's push waits",
                diagnostics: () => $"factory: {AppDb.Dump(factory.DbPath, "settings")}; hub readings: {AppDb.Count(hq.DbPath, "readings")}");
            Assert.Equal(0L, AppDb.Count(hq.DbPath, "readings")); // the push is still queued: the pull overtook it

            held.Dispose();
            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 10, "the factory's readings at the hub once the applier is free");
        }
        finally
        {
            held.Dispose(); // idempotent: a second release changes nothing
        }
    }
}
