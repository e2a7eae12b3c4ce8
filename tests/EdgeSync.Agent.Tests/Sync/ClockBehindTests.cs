using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A factory replica whose clock runs behind refuses what the hub sends (stamped ahead of its clock), but its own writes
/// are stamped in the past as far as the hub is concerned, and the hub takes them. The round pulled first and stopped at
/// the refused pull, so nothing the factory wrote reached the hub until its clock was fixed (found by the faketime
/// fault suite: the hub never dials a factory, so no other round carried them).
/// </summary>
public sealed class ClockBehindTests
{
    [Fact]
    public async Task AFactoryWhoseClockIsBehind_StillDeliversItsWritesToTheHub()
    {
        using var dir = new TempDir();
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        AppDb.Exec(hq.DbPath, "INSERT INTO items(id, name, qty) VALUES ('from-hq', 'press', 1)");
        await Eventually.TrueAsync(() => hq.Db.Vector[hq.Site] >= 1, "the hub captured its write");

        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url,
            services: s => s.AddSingleton<TimeProvider>(new Shifted(TimeSpan.FromHours(-2))));
        AppDb.Exec(f.DbPath, "INSERT INTO items(id, name, qty) VALUES ('from-f1', 'drill', 2)");

        await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "items", "id = 'from-f1'") == 1, "the factory's write reaches the hub",
            diagnostics: () => $"hub items: {AppDb.Count(hq.DbPath, "items")}");
        Assert.Equal(0L, AppDb.Count(f.DbPath, "items", "id = 'from-hq'")); // what the hub sent was refused: the scenario is the one meant
    }

    /// <summary>A wall clock <paramref name="offset"/> away from the real one (timers and timestamps unchanged).</summary>
    private sealed class Shifted(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
