using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Issue 15 with real agents (design §6, "Disclaimed events a peer compacted"): a factory accepts a hub's write stamped
/// 4 min ahead (within the tolerance) and compacts it; the hub's clock runs further ahead and is set right to a little
/// behind, so that write is more than <c>MaxClockDrift</c> ahead of its wall clock and it disclaims it. The hub's
/// batches announce it over gRPC, and the factory's push sends the original back as the hub's earlier incarnation.
/// </summary>
public sealed class DisclaimedFloorAgentTests
{
    [Fact]
    public async Task HubDisclaimsAWriteAFactoryCompacted_TheFactoryStillTakesItsChanges_AndSendsTheOriginalBack()
    {
        using var dir = new TempDir();
        var hubClock = new Shifted(TimeSpan.FromMinutes(4));
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub,
            services: s => s.AddSingleton<TimeProvider>(hubClock));
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url);
        AppDb.Exec(hq.DbPath, "INSERT INTO items(id, name, qty) VALUES ('early', 'press', 1)");
        await Eventually.TrueAsync(() => AppDb.Count(f.DbPath, "items", "id = 'early'") == 1, "the factory takes the hub's write");
        await Eventually.TrueAsync(() => f.Db.Compact(["hq/hub"], TestContext.Current.CancellationToken).LogEntries > 0,
            "the factory compacts the hub's write", diagnostics: () => $"floor held by the hub's recorded vector; factory {f.Db.Vector}");

        hubClock.Offset = TimeSpan.FromHours(2); // further ahead: what it writes now no replica with a right clock takes
        AppDb.Exec(hq.DbPath, "INSERT INTO items(id, name, qty) VALUES ('ahead', 'lathe', 2)");
        await Eventually.TrueAsync(() => hq.Db.Vector["hq/hub"] >= 2, "the hub captures its write");
        hubClock.Offset = TimeSpan.FromMinutes(-1.5); // set right, a little behind: 'early' is now 5.5 min ahead of it
        AppDb.Exec(hq.DbPath, "INSERT INTO items(id, name, qty) VALUES ('after', 'drill', 3)");
        // The hub continues as a new incarnation and disclaims from 'early' on: its vector falls below the factory's floor.
        await Eventually.TrueAsync(() => hq.Db.SiteId.StartsWith("hq/hub~", StringComparison.Ordinal) && hq.Db.Vector["hq/hub"] == 0,
            "the hub disclaims its writes from 'early' on", diagnostics: () => $"hub {hq.Db.SiteId} {hq.Db.Vector}");

        // Before the fix the factory refused every later batch of the hub as stale (StaleBatch), for good.
        await Eventually.TrueAsync(() => AppDb.Count(f.DbPath, "items", "id = 'after'") == 1, "the factory takes the hub's write after the fix",
            diagnostics: () => $"factory items: {AppDb.Count(f.DbPath, "items")}, hub {hq.Db.Vector}, factory {f.Db.Vector}");

        // Once 'early' is within the tolerance of the hub's clock, the factory's push sends it back (the hub's earlier
        // incarnation, served from row metadata: the hub's conversation vectors announce what it disclaimed).
        hubClock.Offset = TimeSpan.FromMinutes(-0.5);
        AppDb.Exec(f.DbPath, "INSERT INTO items(id, name, qty) VALUES ('from-f1', 'vise', 4)");
        await Eventually.TrueAsync(() => hq.Db.Vector["hq/hub"] >= 1 && AppDb.Count(hq.DbPath, "items", "id = 'from-f1'") == 1,
            "the original comes back to the hub, and the factory's write reaches it",
            diagnostics: () => $"hub {hq.Db.Vector}, factory {f.Db.Vector}");
    }

    /// <summary>A wall clock <see cref="Offset"/> away from the real one, which the test moves (timers unchanged).</summary>
    private sealed class Shifted(TimeSpan offset) : TimeProvider
    {
        private long _offsetTicks = offset.Ticks;

        public TimeSpan Offset
        {
            get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
            set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
        }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }
}
