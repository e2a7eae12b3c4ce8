using EdgeSync.Agent.Tests.Support;
using EdgeSync.Backup;

namespace EdgeSync.Agent.Tests.Safety;

/// <summary>
/// Issue 15 with real agents: the hub's files put back (here its backup restored) after a factory received what HQ
/// wrote since. The factory sends the hub back its earlier incarnation's changes, <c>down</c> table and deletes
/// included; the hub logs (event 2303) and counts each batch it takes back.
/// </summary>
public sealed class PutBackHubTests
{
    [Fact]
    public async Task HubRestoredFromItsBackup_GetsItsLaterWritesBackFromTheFactory_LogsAndCountsThem()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        string hqPath = dir.Db("hq"), backup = hqPath + ".bak";
        var hq = await TestAgent.StartAsync(hqPath, "hq/edge-0", role: AgentRole.Hub);
        var f1 = await TestAgent.StartAsync(dir.Db("f1"), "f1/edge-0", hub: hq.Url);
        string f1Path = f1.DbPath;
        string Both(string path) => AppDb.Dump(path, "settings", "items");
        try
        {
            AppDb.Exec(hqPath, "INSERT INTO settings(key, value) VALUES ('mode', 'eco'), ('shift', 'day')");
            AppDb.Exec(hqPath, "INSERT INTO items(id, name, qty) VALUES ('bolt', 'Bolt', 1)");
            await Eventually.TrueAsync(() => Both(f1Path) == Both(hqPath), "HQ's first rows at the factory");
            hq.Db.Backup(backup, cancellationToken: ct);

            // After the backup: a new `down` row, an update, a delete in each table, a new `both` row.
            AppDb.Exec(hqPath, "INSERT INTO settings(key, value) VALUES ('limit', '90')");
            AppDb.Exec(hqPath, "UPDATE settings SET value = 'night' WHERE key = 'shift'");
            AppDb.Exec(hqPath, "DELETE FROM settings WHERE key = 'mode'");
            AppDb.Exec(hqPath, "DELETE FROM items WHERE id = 'bolt'");
            AppDb.Exec(hqPath, "INSERT INTO items(id, name, qty) VALUES ('nut', 'Nut', 2)");
            await Eventually.TrueAsync(() => Both(f1Path) == Both(hqPath), "HQ's later writes at the factory");
        }
        finally
        {
            await f1.DisposeAsync();
            await hq.DisposeAsync();
        }

        string expected = Both(f1Path);
        foreach (var f in new[] { hqPath, hqPath + "-wal", hqPath + "-shm" })
        {
            File.Delete(f);
        }

        DatabaseBackup.Restore(backup, hqPath, cancellationToken: ct);
        Assert.Equal(1L, AppDb.Count(hqPath, "settings", "key = 'mode'"));
        using var logs = new LogCollector();
        await using var restored = await TestAgent.StartAsync(hqPath, "hq/edge-0", role: AgentRole.Hub, logs: logs, record: ["edgesync_lineage_reclaimed_changes"]);
        await using var factory = await TestAgent.StartAsync(f1Path, "f1/edge-0", hub: restored.Url);

        await Eventually.TrueAsync(() => Both(hqPath) == expected && Both(f1Path) == expected,
            "the restored hub to hold again what it wrote after its backup",
            diagnostics: () => $"hq ({restored.Db.Vector}):\n{Both(hqPath)}\nf1 ({factory.Db.Vector}):\n{Both(f1Path)}\nlogs:\n{logs.Dump()}");
        Assert.NotEqual("hq/edge-0", restored.Db.SiteId);
        Assert.Equal("90", AppDb.Scalar(hqPath, "SELECT value FROM settings WHERE key = 'limit'"));
        Assert.Equal(0L, AppDb.Count(hqPath, "items", "id = 'bolt'"));
        // Logged and counted once the batch's apply has committed, so a moment after its rows show.
        await Eventually.TrueAsync(() => logs.Has(2303, "hq/edge-0 ("), "the hub to log the batch it took back (event 2303)", diagnostics: logs.Dump);
        var reclaimed = restored.Metric("edgesync_lineage_reclaimed_changes");
        Assert.True(reclaimed.SumWith("peer=f1/edge-0") > 0, reclaimed.Dump());
        Assert.DoesNotContain(logs.Lines, l => l.EventId == 2302); // nothing refused

        // HQ's new incarnation keeps writing down to the factory.
        AppDb.Exec(hqPath, "UPDATE settings SET value = '95' WHERE key = 'limit'");
        await Eventually.TrueAsync(() => Both(f1Path) == Both(hqPath), "HQ's next write at the factory");
    }
}
