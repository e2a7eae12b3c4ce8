using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A schema change sync cannot carry, made behind the agent's back by another process (issue 13): the agent finds it
/// at its next capture, says so (metric, status, log) and stops only that table; every other table keeps syncing.
/// </summary>
public sealed class SchemaDriftTests
{
    [Fact]
    public async Task TableDroppedAtOneReplica_StopsOnlyThatTable_Loudly_AndOtherTablesKeepSyncing()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "drift-a");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "drift-b", peers: [a.Url], record: ["edgesync_schema_drift"]);
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('i-1', 'before')");
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items") == 1, "the first item reaches b");

        AppDb.Exec(b.DbPath, "DROP TABLE items"); // the application on b, not through EdgeSync
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('i-2', 'after')");
        AppDb.InsertReadings(a.DbPath, 1, 50, "a");
        AppDb.InsertReadings(b.DbPath, 1_000, 20, "b");

        var drift = b.Metric("edgesync_schema_drift");
        await Eventually.TrueAsync(() => drift.Last("database=app,reason=dropped,table=items") == 1,
            "b reports that table items was dropped", TimeSpan.FromSeconds(30), drift.Dump);
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "readings") == 70 && AppDb.Count(a.DbPath, "readings") == 70,
            "readings keep syncing both ways");
        var status = Assert.Single(b.Db.GetSchemaStatus(), t => t.Table == "items");
        Assert.Equal("dropped", status.Drift?.Change);
        Assert.Equal(2, AppDb.Count(a.DbPath, "items")); // a keeps its rows

        b.Db.ForgetTable("items", TestContext.Current.CancellationToken);
        Assert.Equal(0, drift.Last("database=app,reason=dropped,table=items"));
    }
}
