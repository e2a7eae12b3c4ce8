using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Fleet-managed migrations (issue 13 item 3): HQ publishes a migration to the fleet's log, it flows down to two
/// factories like configuration, and each factory's agent runs it once its application's gate allows it: one factory
/// runs it at once, the other is held back until its application opens the gate. A migration that fails is reported
/// on the replica and applies nothing.
/// </summary>
public sealed class FleetMigrationTests
{
    [Fact]
    public async Task MigrationFromHq_ReachesTwoFactories_OneHeldBackByItsGate_AndAFailureIsReportedNotHalfApplied()
    {
        using var dir = new TempDir();
        var fast = new Dictionary<string, string?> { ["EdgeSync:MigrationCheckMs"] = "100" };
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "mig-hq", role: AgentRole.Hub, settings: fast);
        await using var ready = await TestAgent.StartAsync(dir.Db("ready"), "mig-f1/0", hub: hq.Url, settings: fast);
        await using var held = await TestAgent.StartAsync(dir.Db("held"), "mig-f2/0", hub: hq.Url, settings: fast);
        var ct = TestContext.Current.CancellationToken;
        hq.Db.SetSchemaGate(1, ct);
        ready.Db.SetSchemaGate(1, ct); // held's application stays at gate 0

        hq.Db.PublishMigration("0001-items-color", "ALTER TABLE items ADD COLUMN color TEXT NOT NULL DEFAULT 'none';", gate: 1, ct);

        await Eventually.TrueAsync(() => HasColumn(hq, "color") && HasColumn(ready, "color"), "HQ and the ready factory run the migration");
        await Eventually.TrueAsync(() => AppDb.Count(held.DbPath, "edgesync_migrations") == 1, "the migration log reaches the held-back factory");
        await Eventually.TrueAsync(() => held.Db.GetPublishedMigrations().Single().State == "waiting", "it waits for the held factory's gate");
        Assert.False(HasColumn(held, "color"));

        // Replicas at different versions keep syncing meanwhile; the new column's values wait at the held factory.
        AppDb.Exec(ready.DbPath, "INSERT INTO items(id, name, color) VALUES ('i-1', 'bolt', 'red')");
        await Eventually.TrueAsync(() => AppDb.Count(held.DbPath, "items") == 1, "the common columns reach the held factory");

        held.Db.SetSchemaGate(1, ct); // its application is upgraded
        await Eventually.TrueAsync(() => HasColumn(held, "color") && (AppDb.Scalar(held.DbPath, "SELECT color FROM items WHERE id = 'i-1'") as string) == "red",
            "the held factory runs the migration once its gate allows it, and the value kept for the column is written");

        hq.Db.PublishMigration("0002-broken", "ALTER TABLE items ADD COLUMN size INTEGER; ALTER TABLE nowhere ADD COLUMN x;", gate: 1, ct);
        await Eventually.TrueAsync(() => ready.Db.GetPublishedMigrations().Any(m => m.Name == "0002-broken" && m.State == "failed"),
            "the broken migration is reported as failed on the factory");
        var failed = ready.Db.GetPublishedMigrations().Single(m => m.Name == "0002-broken");
        Assert.Contains("no such table: nowhere", failed.Error, StringComparison.Ordinal);
        Assert.False(HasColumn(ready, "size")); // never half-applied
    }

    private static bool HasColumn(TestAgent agent, string column) =>
        AppDb.Scalar(agent.DbPath, "SELECT count(*) FROM pragma_table_info('items') WHERE name = $1", column) is long n && n == 1;
}
