using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Backup;
using EdgeSync.Schema;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Issue 15, topology seed 100: the hub's files put back to an earlier copy, then a table opened towards factories
/// (<c>up</c> → <c>both</c>) before the factories re-sent what the hub lost. The re-offer made at the opening covers what
/// the hub holds then; a row of another factory the hub had relayed (withheld from this factory while the table was
/// <c>up</c>, the factory's vector passing it) comes back to the hub later under its origin's clock, and the hub must
/// re-offer it then, whichever of the two factories it hears from first.
/// </summary>
public sealed class ReofferAfterPutBackTests
{
    private static SyncDatabase Open(string path, string? site)
    {
        if (!File.Exists(path))
        {
            AppDb.Create(path);
        }

        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("items", TablePolicy.Lww);
        db.EnableTable("readings", TablePolicy.Append);
        return db;
    }

    private static AgentOptions Hub(string table, SyncDirection direction) => new()
    {
        Site = "hq/edge-0",
        ClusterId = "hq",
        Role = AgentRole.Hub,
        Tables = new Dictionary<string, TableSyncOptions>(StringComparer.OrdinalIgnoreCase) { [table] = new() { Direction = direction } },
    };

    private static void Sync(SyncDatabase from, AgentRole fromRole, SyncDatabase into, AgentRole intoRole, SyncDirection direction)
    {
        SyncDirection Directions(string _) => direction; // both tables alike
        new Outbound(new SyncEndpoint(from) { Role = fromRole, DirectionOf = Directions }, into.SiteId, intoRole)
            .Send(into.Vector, batch => new Inbound(new SyncEndpoint(into) { Role = intoRole, DirectionOf = Directions }, from.SiteId, fromRole)
                .Receive(batch.Payload), TestContext.Current.CancellationToken);
    }

    private static int PerWrite(string table) => table == "readings" ? 3 : 1;

    private static void Write(string path, string table, int n)
    {
        if (table == "readings")
        {
            AppDb.InsertReadings(path, n * 10, PerWrite(table), "f2"); // the hub keeps them as one received insert range
        }
        else
        {
            AppDb.Exec(path, "INSERT INTO items(id, name, qty) VALUES ($1, 'from f2', $2)", $"row-{n}", n);
        }
    }

    [Theory]
    [InlineData("items", true)]
    [InlineData("items", false)]
    [InlineData("readings", true)]
    [InlineData("readings", false)]
    public void HubPutBack_ThenTableOpened_RowTheHubGetsBackLaterReachesTheFactoryWhoseVectorPassedIt(string table, bool originFirst)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string hqPath = dir.Db("hq"), backup = hqPath + ".bak";
        var hub = Open(hqPath, "hq/edge-0");
        using var f1 = Open(dir.Db("f1"), "factory-001/edge-0");
        using var f2 = Open(dir.Db("f2"), "factory-002/edge-0");
        DirectionHistory.Check(hub, "test", Hub(table, SyncDirection.Up), NullLogger.Instance, ct);
        Write(f2.Path, table, 1);
        Sync(f2, AgentRole.Factory, hub, AgentRole.Hub, SyncDirection.Up);
        hub.Backup(backup, cancellationToken: ct);

        // After the copy: f2's next row reaches the hub, which relays f2's range to f1 without the row (items is up).
        Write(f2.Path, table, 2);
        Sync(f2, AgentRole.Factory, hub, AgentRole.Hub, SyncDirection.Up);
        Sync(hub, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Up);
        Assert.Equal(f2.Vector["factory-002/edge-0"], f1.Vector["factory-002/edge-0"]);
        Assert.Equal(0L, AppDb.Count(f1.Path, table));
        hub.Dispose();

        // The hub's files are put back to the copy, and it starts with items opened to both.
        foreach (var f in new[] { hqPath, hqPath + "-wal", hqPath + "-shm" })
        {
            File.Delete(f);
        }

        DatabaseBackup.Restore(backup, hqPath, cancellationToken: ct);
        using var restored = Open(hqPath, null);
        DirectionHistory.Check(restored, "test", Hub(table, SyncDirection.Both), NullLogger.Instance, ct);
        Assert.Equal(PerWrite(table), AppDb.Count(hqPath, table));

        for (int round = 0; round < 2; round++)
        {
            if (originFirst)
            {
                Sync(f2, AgentRole.Factory, restored, AgentRole.Hub, SyncDirection.Both);
                Sync(restored, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Both);
            }
            else
            {
                Sync(restored, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Both);
                Sync(f2, AgentRole.Factory, restored, AgentRole.Hub, SyncDirection.Both);
            }

            Sync(restored, AgentRole.Hub, f2, AgentRole.Factory, SyncDirection.Both);
        }

        string expected = AppDb.Dump(f2.Path, table);
        Assert.Equal(expected, AppDb.Dump(hqPath, table));
        Assert.Equal(expected, AppDb.Dump(f1.Path, table));
        Assert.Equal(2 * PerWrite(table), AppDb.Count(f1.Path, table));

        // Each change is re-offered once: later rounds issue nothing more.
        long issued = restored.Vector[restored.SiteId];
        Sync(f2, AgentRole.Factory, restored, AgentRole.Hub, SyncDirection.Both);
        Sync(restored, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Both);
        Sync(f1, AgentRole.Factory, restored, AgentRole.Hub, SyncDirection.Both);
        Assert.Equal(issued, restored.Vector[restored.SiteId]);
    }

    /// <summary>Without a put-back the hub holds at the opening everything its ranges passed: nothing is issued after the re-offer, however the factories write.</summary>
    [Fact]
    public void TableOpenedWithoutPutBack_LaterWritesAreNotIssuedAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq/edge-0");
        using var f1 = Open(dir.Db("f1"), "factory-001/edge-0");
        using var f2 = Open(dir.Db("f2"), "factory-002/edge-0");
        DirectionHistory.Check(hub, "test", Hub("items", SyncDirection.Up), NullLogger.Instance, ct);
        Write(f2.Path, "items", 1);
        Sync(f2, AgentRole.Factory, hub, AgentRole.Hub, SyncDirection.Up);
        Sync(hub, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Up);
        DirectionHistory.Check(hub, "test", Hub("items", SyncDirection.Both), NullLogger.Instance, ct);
        long reoffered = hub.Vector[hub.SiteId];

        for (int n = 2; n < 5; n++)
        {
            Write(f2.Path, "items", n);
            Sync(f2, AgentRole.Factory, hub, AgentRole.Hub, SyncDirection.Both);
            Sync(hub, AgentRole.Hub, f1, AgentRole.Factory, SyncDirection.Both);
            Sync(f1, AgentRole.Factory, hub, AgentRole.Hub, SyncDirection.Both);
            Sync(hub, AgentRole.Hub, f2, AgentRole.Factory, SyncDirection.Both);
        }

        Assert.Equal(reoffered, hub.Vector[hub.SiteId]);
        Assert.Equal(AppDb.Dump(f2.Path, "items"), AppDb.Dump(f1.Path, "items"));
        Assert.Equal(4L, AppDb.Count(f1.Path, "items"));
    }
}
