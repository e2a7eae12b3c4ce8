using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Backup;
using EdgeSync.Schema;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Found by the topology simulation (tests/EdgeSync.Simulation, <c>--topology hub</c>): a one-replica factory restored
/// from its backup lost for good what it had written to an <c>up</c> table after the backup, when the hub had
/// writes of its own not yet captured as it served the factory. The extraction sealed them after the hub had read its
/// vector, so the batch of the factory's earlier incarnation also carried the hub's new range; the factory filtered the
/// <c>up</c> rows out of that mixed batch and its vector passed them.
/// </summary>
public sealed class RestoredLineageTests
{
    private static SyncDatabase Open(string path, string? site)
    {
        if (!File.Exists(path))
        {
            AppDb.Create(path);
        }

        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("settings", TablePolicy.Lww);
        db.EnableTable("readings", TablePolicy.Append);
        return db;
    }

    private static SyncDirection Directions(string table) => table == "readings" ? SyncDirection.Up : SyncDirection.Both;

    private static void Sync(SyncDatabase from, AgentRole fromRole, SyncDatabase into, AgentRole intoRole) =>
        new Outbound(new SyncEndpoint(from) { Role = fromRole, DirectionOf = Directions }, into.SiteId, intoRole)
            .Send(into.Vector, batch => new Inbound(new SyncEndpoint(into) { Role = intoRole, DirectionOf = Directions }, from.SiteId, fromRole)
                .Receive(batch.Payload), TestContext.Current.CancellationToken);

    [Fact]
    public void RestoredFactory_HubHasUncapturedWritesWhenItServesIt_GetsItsPostBackupUpRowsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string path = dir.Db("f1"), backup = path + ".bak";
        using var hub = Open(dir.Db("hq"), "hq/edge-0");
        var factory = Open(path, "f1/edge-0");
        factory.Backup(backup, cancellationToken: ct);
        AppDb.InsertReadings(path, 1, 3, "f1");
        Sync(factory, AgentRole.Factory, hub, AgentRole.Hub);
        Assert.Equal(3L, AppDb.Count(hub.Path, "readings"));
        factory.Dispose();

        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(f);
        }

        DatabaseBackup.Restore(backup, path, cancellationToken: ct);
        using var restored = Open(path, null);
        AppDb.Exec(hub.Path, "INSERT INTO settings(key, value) VALUES ('max_temp', '90')"); // not captured yet

        Sync(hub, AgentRole.Hub, restored, AgentRole.Factory);

        Assert.Equal("90", AppDb.Scalar(path, "SELECT value FROM settings WHERE key = 'max_temp'"));
        Sync(hub, AgentRole.Hub, restored, AgentRole.Factory); // a later round, in case the lineage had to wait for one
        Assert.Equal(3L, AppDb.Count(path, "readings"));
        Assert.NotEqual("f1/edge-0", restored.SiteId);
    }

    /// <summary>
    /// Topology simulation seed 1313: a factory of two replicas, both restored from backups taken before the second one
    /// wrote readings (<c>up</c>) that reached the first and the hub. The hub alone held them; it never sends a factory
    /// its own cluster's changes, and the second replica's earlier incarnation is not the first one's own lineage, so
    /// they were lost to the factory for good. The first replica now asks the hub back its sibling's retired origin.
    /// </summary>
    [Fact]
    public void TwoReplicasRestored_HubHoldsTheSiblingsPostBackupReadings_TheFactoryGetsThemBack()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string p0 = dir.Db("f1-0"), p1 = dir.Db("f1-1");
        using var hub = Open(dir.Db("hq"), "hq/edge-0");
        var r0 = Open(p0, "f1/edge-0");
        var r1 = Open(p1, "f1/edge-1");
        r0.Backup(p0 + ".bak", cancellationToken: ct);
        r1.Backup(p1 + ".bak", cancellationToken: ct);
        AppDb.InsertReadings(p1, 1, 4, "f1");
        Sync(r1, AgentRole.Factory, r0, AgentRole.Factory);
        Sync(r0, AgentRole.Factory, hub, AgentRole.Hub);
        Assert.Equal(4L, AppDb.Count(hub.Path, "readings"));
        r0.Dispose();
        r1.Dispose();

        foreach (var path in new[] { p0, p1 })
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }

            DatabaseBackup.Restore(path + ".bak", path, cancellationToken: ct);
        }

        using var restored0 = Open(p0, null);
        using var restored1 = Open(p1, null);
        restored1.Capture(ct); // continues as a new incarnation: the id its siblings hear from
        Sync(restored1, AgentRole.Factory, restored0, AgentRole.Factory);
        Assert.Equal(0L, AppDb.Count(p0, "readings"));

        // The gateway pulls from the hub, asking back what its sibling's earlier incarnation wrote.
        var reclaim = RetiredOrigins.ToReclaim(restored0.SiteId, restored0.Vector, hub.Vector, [(restored1.SiteId, restored1.Vector)]);
        Assert.Equal(["f1/edge-1"], reclaim);
        new Outbound(new SyncEndpoint(hub) { Role = AgentRole.Hub, DirectionOf = Directions }, restored0.SiteId, AgentRole.Factory, reclaim: reclaim)
            .Send(restored0.Vector, batch => new Inbound(new SyncEndpoint(restored0) { Role = AgentRole.Factory, DirectionOf = Directions }, hub.SiteId,
                AgentRole.Hub, reclaim: reclaim).Receive(batch.Payload), ct);
        Assert.Equal(4L, AppDb.Count(p0, "readings"));

        Sync(restored0, AgentRole.Factory, restored1, AgentRole.Factory);
        Assert.Equal(4L, AppDb.Count(p1, "readings"));
    }
}
