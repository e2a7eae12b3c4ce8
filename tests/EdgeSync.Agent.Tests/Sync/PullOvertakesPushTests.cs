using EdgeSync.Agent.Limits;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A factory's push to a busy hub waits its turn behind other factories' pushes (the hub's apply gate). A change the
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

        // Another factory's batch holds the hub's apply gate, as a queue of pushes from the rest of the fleet would.
        var gate = hq.Service<ApplyGates>().For(hq.Hosted.Name);
        await gate.EnterAsync("f2/edge-0", ct);
        bool held = true;
        try
        {
            AppDb.InsertReadings(factory.DbPath, 1, 10, "f1"); // 'up': the factory pushes them, and the push waits at the gate
            var limiter = hq.Service<PeerStreamLimiter>();
            await Eventually.TrueAsync(() => limiter.OpenBy(factory.Site) >= 2, "the factory's push open at the hub, beside its conversation",
                diagnostics: () => $"calls open by the factory: {limiter.OpenBy(factory.Site)}");

            AppDb.Exec(hq.DbPath, "UPDATE settings SET value = '250' WHERE key = 'sampling_ms'");

            await Eventually.TrueAsync(
                () => AppDb.Scalar(factory.DbPath, "SELECT value FROM settings WHERE key = 'sampling_ms'") as string == "250",
                "the hub's change at the factory while the factory's push waits",
                diagnostics: () => $"factory: {AppDb.Dump(factory.DbPath, "settings")}; hub readings: {AppDb.Count(hq.DbPath, "readings")}");
            Assert.Equal(0L, AppDb.Count(hq.DbPath, "readings")); // the push is still queued: the pull overtook it

            gate.Exit();
            held = false;
            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 10, "the factory's readings at the hub once the gate is free");
        }
        finally
        {
            if (held)
            {
                gate.Exit();
            }
        }
    }
}
