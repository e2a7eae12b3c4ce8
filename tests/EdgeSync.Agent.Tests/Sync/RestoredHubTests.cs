using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Backup;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Issue 15, found by the topology simulation (seeds 100, 234, 436, 900, 2169 at 120 steps): the hub's files put back
/// (a power cut to an earlier copy, a backup restored) after a factory received what the hub wrote since. The hub
/// continues as a new incarnation and lacks its old id's later writes; the factory held them but sent a hub only its
/// own cluster's origins (and no <c>down</c> table), and the hub's <c>origin</c> rule would have refused them anyway,
/// so the two differed for good. A factory now sends the hub its earlier incarnations' changes, every table, and the
/// hub admits those ids, never its current one nor another cluster's.
/// </summary>
public sealed class RestoredHubTests
{
    private const string Assets = "CREATE TABLE IF NOT EXISTS assets(id TEXT PRIMARY KEY, cluster_id TEXT NOT NULL, name TEXT)";

    private static SyncDatabase Open(string path, string? site)
    {
        if (!File.Exists(path))
        {
            AppDb.Create(path);
            AppDb.Exec(path, Assets);
        }

        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("settings", TablePolicy.Lww);
        db.EnableTable("assets", TablePolicy.Lww);
        db.EnableTable("readings", TablePolicy.Append);
        return db;
    }

    private static SyncDirection Directions(string table) => table switch
    {
        "settings" => SyncDirection.Down,
        "readings" => SyncDirection.Up,
        _ => SyncDirection.Both,
    };

    private static TableRule RuleOf(string table) => table == "assets" ? new TableRule(SyncDirection.Both, "cluster_id") : new TableRule(Directions(table), null);

    /// <summary>One way of a round, through the agent's own send and receive paths, the hub authorizing what a factory sends.</summary>
    private static void Sync(SyncDatabase from, AgentRole fromRole, SyncDatabase into, AgentRole intoRole)
    {
        var check = HubAuthorization.CheckFor(into, intoRole, RuleOf, PeerIdentity.Claimed(from.SiteId));
        new Outbound(new SyncEndpoint(from) { Role = fromRole, DirectionOf = Directions }, into.SiteId, intoRole)
            .Send(into.Vector, batch => new Inbound(new SyncEndpoint(into) { Role = intoRole, DirectionOf = Directions }, from.SiteId, fromRole, check)
                .Receive(batch.Payload), TestContext.Current.CancellationToken);
    }

    private static void Round(SyncDatabase hub, SyncDatabase factory)
    {
        Sync(factory, AgentRole.Factory, hub, AgentRole.Hub);
        Sync(hub, AgentRole.Hub, factory, AgentRole.Factory);
    }

    /// <summary>The hub's files replaced by its backup; opened, it continues as a new incarnation of its site.</summary>
    private static SyncDatabase PutBack(string path, string backup)
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }

        DatabaseBackup.Restore(backup, path, cancellationToken: ct);
        var restored = Open(path, null);
        restored.Capture(ct);
        Assert.StartsWith("hq/edge-0~", restored.SiteId, StringComparison.Ordinal);
        return restored;
    }

    [Fact]
    public void HubRestoredFromABackup_AfterAFactoryReceivedItsLaterWritesAndDeletes_GetsThemBackFromTheFactory()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string hubPath = dir.Db("hq"), backup = hubPath + ".bak";
        var hub = Open(hubPath, "hq/edge-0");
        using var factory = Open(dir.Db("f1"), "f1/edge-0");
        AppDb.Exec(hubPath, "INSERT INTO settings(key, value) VALUES ('mode', 'eco'), ('shift', 'day')");
        AppDb.Exec(hubPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a1', 'f2', 'press'), ('a2', 'f1', 'lathe')");
        Round(hub, factory);
        hub.Backup(backup, cancellationToken: ct);

        // After the backup: HQ writes a `down` row and a `both` row of another cluster, changes one, deletes one of each.
        AppDb.Exec(hubPath, "INSERT INTO settings(key, value) VALUES ('limit', '90')");
        AppDb.Exec(hubPath, "UPDATE settings SET value = 'night' WHERE key = 'shift'");
        AppDb.Exec(hubPath, "DELETE FROM settings WHERE key = 'mode'");
        AppDb.Exec(hubPath, "INSERT INTO assets(id, cluster_id, name) VALUES ('a3', 'f2', 'drill')");
        AppDb.Exec(hubPath, "DELETE FROM assets WHERE id = 'a2'");
        Round(hub, factory);
        string expected = AppDb.Dump(factory.Path, "settings", "assets");
        Assert.Equal(AppDb.Dump(hubPath, "settings", "assets"), expected);
        Assert.Equal("90", AppDb.Scalar(factory.Path, "SELECT value FROM settings WHERE key = 'limit'"));
        hub.Dispose();

        using var restored = PutBack(hubPath, backup);
        Assert.Equal("eco", AppDb.Scalar(hubPath, "SELECT value FROM settings WHERE key = 'mode'"));

        Round(restored, factory);
        Round(restored, factory); // the lineage may follow a round later

        Assert.Equal(expected, AppDb.Dump(hubPath, "settings", "assets"));
        Assert.Equal(expected, AppDb.Dump(factory.Path, "settings", "assets"));
        Assert.Equal(0L, AppDb.Count(hubPath, "settings", "key = 'mode'"));
        Assert.Equal(0L, AppDb.Count(hubPath, "assets", "id = 'a2'"));
        Assert.True(restored.Vector.Dominates(factory.Vector), $"the hub holds everything the factory does: {restored.Vector} vs {factory.Vector}");

        // HQ's next write still reaches the factory, and the two stay equal.
        AppDb.Exec(hubPath, "UPDATE settings SET value = '95' WHERE key = 'limit'");
        Round(restored, factory);
        Assert.Equal(AppDb.Dump(hubPath, "settings", "assets"), AppDb.Dump(factory.Path, "settings", "assets"));
        Assert.Equal("95", AppDb.Scalar(factory.Path, "SELECT value FROM settings WHERE key = 'limit'"));
    }

    [Fact]
    public void AFactoryPresentingTheHubsCurrentIdOrAnotherClusters_IsStillRefused()
    {
        using var dir = new TempDir();
        string path = dir.Db("hq");
        using (var first = Open(path, "hq/edge-0"))
        {
            first.Backup(path + ".bak", cancellationToken: TestContext.Current.CancellationToken);
        }

        using var hub = PutBack(path, path + ".bak");
        string current = hub.SiteId;
        var check = HubAuthorization.CheckFor(hub, AgentRole.Hub, RuleOf, PeerIdentity.Claimed("f1/edge-0"))!;
        string[] columns = ["key", "value", "owner"];

        ChangeBatch Presented(string origin, string table = "settings")
        {
            var clock = new CellClock(new Hlc(1_000L << 16), origin, 5, default, "");
            var row = new RowChange(["k"], RowState.Alive(1, ["k", "forged", null], [clock, clock, clock]));
            return new ChangeBatch("f1/edge-0", VersionVector.Empty, [new OriginRange(origin, 4, 5)],
                [new TableChangeSet(table, columns, ["key"], [row])]);
        }

        // The hub's earlier incarnations are admitted, in a `down` table too ...
        check(Presented("hq/edge-0"));
        check(Presented("hq/edge-0~3"));

        // ... never its current id, another replica of HQ, or another cluster.
        foreach (var origin in new[] { current, current + "~3", "hq/edge-1", "hq/edge-1~3", "f2/edge-0", "f2/edge-0~7" })
        {
            var e = Assert.Throws<UnauthorizedBatchException>(() => check(Presented(origin)));
            Assert.Equal(AuthorizationRule.Origin, e.Rule);
            Assert.Contains(origin, e.Message, StringComparison.Ordinal);
        }

        // A lineage batch presented under another cluster's name is refused too.
        var asF2 = HubAuthorization.CheckFor(hub, AgentRole.Hub, RuleOf, PeerIdentity.Claimed("f2/edge-0"))!;
        Assert.Equal(AuthorizationRule.Origin, Assert.Throws<UnauthorizedBatchException>(() => asF2(Presented("hq/edge-0"))).Rule);
    }
}
