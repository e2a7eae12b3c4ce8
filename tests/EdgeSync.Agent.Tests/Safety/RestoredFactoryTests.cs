using EdgeSync.Agent.Tests.Support;
using EdgeSync.Backup;

namespace EdgeSync.Agent.Tests.Safety;

/// <summary>
/// Issue 15, item 4: a factory with one replica, restored from a backup, gets back from the hub what it wrote after
/// the backup — deletes included, and its own <c>up</c> rows — though the hub otherwise never sends a factory its own
/// cluster's changes.
/// </summary>
public sealed class RestoredFactoryTests
{
    [Fact]
    public async Task OneReplicaFactoryRestoredFromABackup_GetsItsPostBackupWritesBack_DeletedRowsStayDeleted()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        string backup = Path.Combine(Path.GetDirectoryName(dir.Db("x"))!, "f1.backup");
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq", role: AgentRole.Hub);
        var f1 = await TestAgent.StartAsync(dir.Db("f1"), "f1", hub: hq.Url);
        string path = f1.DbPath;
        try
        {
            AppDb.Exec(path, "INSERT INTO items(id, name, qty) VALUES ('bolt', 'Bolt', 1), ('nut', 'Nut', 2)");
            AppDb.InsertReadings(path, 1, 10, "f1");
            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "items") == 2 && AppDb.Count(hq.DbPath, "readings") == 10, "f1's first rows at the hub");
            f1.Db.Backup(backup, cancellationToken: ct);

            // After the backup: a delete, an update, a new row and more readings, all held by the hub.
            AppDb.Exec(path, "DELETE FROM items WHERE id = 'bolt'");
            AppDb.Exec(path, "UPDATE items SET qty = 20 WHERE id = 'nut'");
            AppDb.Exec(path, "INSERT INTO items(id, name, qty) VALUES ('washer', 'Washer', 3)");
            AppDb.InsertReadings(path, 11, 5, "f1");
            await Eventually.TrueAsync(() => AppDb.Dump(hq.DbPath, "items") == AppDb.Dump(path, "items") && AppDb.Count(hq.DbPath, "readings") == 15,
                "f1's later writes at the hub");
        }
        finally
        {
            await f1.DisposeAsync();
        }

        // The factory's volume is lost and its backup restored.
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }

        DatabaseBackup.Restore(backup, path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1L, AppDb.Count(path, "items", "id = 'bolt'"));
        await using var restored = await TestAgent.StartAsync(path, "f1", hub: hq.Url);

        await Eventually.TrueAsync(() => AppDb.Dump(hq.DbPath, "items") == AppDb.Dump(path, "items") && AppDb.Count(path, "readings") == 15,
            "the restored factory to hold again what it wrote after the backup",
            diagnostics: () => $"hq:\n{AppDb.Dump(hq.DbPath, "items")}\nf1:\n{AppDb.Dump(path, "items")}\nf1 readings={AppDb.Count(path, "readings")}");
        Assert.Equal(0L, AppDb.Count(path, "items", "id = 'bolt'"));
        Assert.Equal(20L, AppDb.Scalar(path, "SELECT qty FROM items WHERE id = 'nut'"));
        Assert.NotEqual("f1", restored.Db.SiteId); // a new incarnation: it never reissues the numbers the hub holds

        // And it keeps working both ways as the new incarnation.
        AppDb.Exec(path, "INSERT INTO items(id, name, qty) VALUES ('gear', 'Gear', 4)");
        AppDb.Exec(hq.DbPath, "INSERT INTO items(id, name, qty) VALUES ('spring', 'Spring', 5)");
        await Eventually.TrueAsync(() => AppDb.Dump(hq.DbPath, "items") == AppDb.Dump(path, "items") && AppDb.Count(path, "items") == 4,
            "new writes on both sides to meet");
    }

    /// <summary>
    /// Topology simulation seed 1313, with real agents: a factory of two replicas (edge-0 syncs with the hub, edge-1
    /// only with edge-0), both restored from backups taken before edge-1 wrote readings that reached edge-0 and the
    /// hub. Only the hub held them, and it never sends a factory its own cluster's changes. edge-0 now asks the hub
    /// back its sibling's earlier incarnation (it hears edge-1's new id from edge-1 itself), and both hold them again.
    /// </summary>
    [Fact]
    public async Task TwoReplicaFactoryRestoredFromBackups_GetsTheSiblingsPostBackupReadingsBackFromTheHub()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/edge-0", role: AgentRole.Hub);
        var e0 = await TestAgent.StartAsync(dir.Db("f1-0"), "f1/edge-0", hub: hq.Url);
        var e1 = await TestAgent.StartAsync(dir.Db("f1-1"), "f1/edge-1", peers: [e0.Url]);
        string p0 = e0.DbPath, p1 = e1.DbPath;
        try
        {
            AppDb.InsertReadings(p1, 1, 2, "f1");
            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 2, "edge-1's first readings at the hub");
            e0.Db.Backup(p0 + ".bak", cancellationToken: ct);
            e1.Db.Backup(p1 + ".bak", cancellationToken: ct);
            AppDb.InsertReadings(p1, 3, 5, "f1");
            await Eventually.TrueAsync(() => AppDb.Count(hq.DbPath, "readings") == 7, "edge-1's later readings at the hub");
        }
        finally
        {
            await e1.DisposeAsync();
            await e0.DisposeAsync();
        }

        foreach (var path in new[] { p0, p1 })
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }

            DatabaseBackup.Restore(path + ".bak", path, cancellationToken: ct);
            Assert.Equal(2L, AppDb.Count(path, "readings"));
        }

        await using var restored0 = await TestAgent.StartAsync(p0, "f1/edge-0", hub: hq.Url);
        await using var restored1 = await TestAgent.StartAsync(p1, "f1/edge-1", peers: [restored0.Url]);

        await Eventually.TrueAsync(() => AppDb.Count(p0, "readings") == 7 && AppDb.Count(p1, "readings") == 7,
            "both restored replicas to hold again what edge-1 wrote after the backups",
            diagnostics: () => $"edge-0: {AppDb.Count(p0, "readings")} readings ({restored0.Db.Vector}), edge-1: {AppDb.Count(p1, "readings")} ({restored1.Db.Vector}), hub: {hq.Db.Vector}");
        Assert.NotEqual("f1/edge-1", restored1.Db.SiteId);
    }
}
