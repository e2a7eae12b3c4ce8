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
}
