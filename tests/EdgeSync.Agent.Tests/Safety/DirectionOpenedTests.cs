using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Safety;

/// <summary>
/// Issue 15, item 5: a table synced <c>up</c> (factory → hub) whose direction is changed to <c>both</c>: the history the
/// hub withheld from each factory while it was <c>up</c> reaches the factories after the change, not only what is
/// written from then on.
/// </summary>
public sealed class DirectionOpenedTests
{
    private static Dictionary<string, string?> Items(string direction) => new() { ["EdgeSync:Tables:items:Direction"] = direction };

    [Fact]
    public async Task UpTableChangedToBoth_FactoriesReceiveTheHistoryWithheldBefore()
    {
        using var dir = new TempDir();
        string hqPath = dir.Db("hq"), f1Path = dir.Db("f1"), f2Path = dir.Db("f2");
        string hqUrl;
        {
            await using var hq = await TestAgent.StartAsync(hqPath, "hq", role: AgentRole.Hub, settings: Items("up"));
            hqUrl = hq.Url;
            await using var f1 = await TestAgent.StartAsync(f1Path, "f1", hub: hq.Url, settings: Items("up"));
            await using var f2 = await TestAgent.StartAsync(f2Path, "f2", hub: hq.Url, settings: Items("up"));
            AppDb.Exec(f1Path, "INSERT INTO items(id, name, qty) VALUES ('f1-a', 'from f1', 1), ('f1-b', 'from f1', 2)");
            AppDb.Exec(f2Path, "INSERT INTO items(id, name, qty) VALUES ('f2-a', 'from f2', 3)");
            AppDb.Exec(f2Path, "INSERT INTO items(id, name, qty) VALUES ('f2-gone', 'from f2', 4)");
            await Eventually.TrueAsync(() => AppDb.Count(hqPath, "items") == 4, "every factory's items at the hub");
            AppDb.Exec(f2Path, "DELETE FROM items WHERE id = 'f2-gone'");
            AppDb.Exec(hqPath, "UPDATE items SET qty = 10 WHERE id = 'f1-a'"); // HQ's edit of an up row, withheld from f1 too
            await Eventually.TrueAsync(() => AppDb.Count(hqPath, "items") == 3, "f2's delete at the hub");

            // Let each factory finish rounds with the hub while items is up: their vectors pass the withheld rows.
            await Eventually.TrueAsync(() => f1.Db.Vector["f2"] == hq.Db.Vector["f2"] && f2.Db.Vector["f1"] == hq.Db.Vector["f1"],
                "both factories' vectors to pass what the hub withheld");
            Assert.Equal(2L, AppDb.Count(f1Path, "items"));
        }

        // The fleet's configuration changes: items flows both ways from now on.
        await using var hq2 = await TestAgent.StartAsync(hqPath, "hq", role: AgentRole.Hub, settings: Items("both"), listen: hqUrl);
        await using var f1b = await TestAgent.StartAsync(f1Path, "f1", hub: hq2.Url, settings: Items("both"));
        await using var f2b = await TestAgent.StartAsync(f2Path, "f2", hub: hq2.Url, settings: Items("both"));

        await Eventually.TrueAsync(
            () => AppDb.Dump(f1Path, "items") == AppDb.Dump(hqPath, "items") && AppDb.Dump(f2Path, "items") == AppDb.Dump(hqPath, "items"),
            "every factory to hold the hub's items, history included",
            diagnostics: () => $"hq:\n{AppDb.Dump(hqPath, "items")}\nf1:\n{AppDb.Dump(f1Path, "items")}\nf2:\n{AppDb.Dump(f2Path, "items")}");
        Assert.Equal(10L, AppDb.Scalar(f1Path, "SELECT qty FROM items WHERE id = 'f1-a'"));
        Assert.Equal(0L, AppDb.Count(f1Path, "items", "id = 'f2-gone'"));

        // A write made after the change still wins over the re-offered history.
        AppDb.Exec(f2Path, "UPDATE items SET qty = 11 WHERE id = 'f1-a'");
        await Eventually.TrueAsync(() => Equals(AppDb.Scalar(f1Path, "SELECT qty FROM items WHERE id = 'f1-a'"), 11L), "f2's later write to reach f1");
    }
}
