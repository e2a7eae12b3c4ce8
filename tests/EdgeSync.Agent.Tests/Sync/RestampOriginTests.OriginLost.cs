namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Issue 15, sub-case (a) of the clock-behind row (docs/guarantees.md): the hub, its clock far behind, holds a factory's
/// change it may not originate, and the factory replica that wrote it loses it (its volume replaced by an empty one)
/// before anyone else of its cluster had it. The hub withholds the change and gives it back its original clock once
/// that is no longer in its future (docs/design.md §6b, rule 5), so the factory gets its own write back.
/// </summary>
public sealed partial class RestampOriginTests
{
    [Fact]
    public void HubFarBehindWithholdsAFactorysReading_TheFactoryLosesItsVolume_ItGetsTheReadingBackOnceTheHubIsSetRight()
    {
        // Issue 15, sub-case (a) of the clock-behind row (topology seeds 546, 2032): the hub, 22 min behind, may not
        // originate the factory's `up` reading, so it withholds it (HLC zero, no log entry, disclaimed), and the only
        // replica that held the original loses its volume before anyone else had it.
        using var dir = new TempDir();
        var hubTime = new ManualTime(Now);
        var factoryTime = new ManualTime(Now);
        using var hub = Node.Open(dir.Db("hq"), "hq/edge-0", AgentRole.Hub, hubTime);
        string path = dir.Db("f1");
        var factory = Node.Open(path, "f1/edge-0", AgentRole.Factory, factoryTime);
        try
        {
            factory.Exec("INSERT INTO readings VALUES (1, 'dev-1', 1, 0.5)");
            Exchange(factory, hub);
            factoryTime.Now = hubTime.Now = Now.AddMinutes(20);
            factory.Exec("INSERT INTO readings VALUES (2, 'dev-1', 2, 1.5)");
            Exchange(factory, hub);
            Assert.Equal(2L, hub.Scalar("SELECT count(*) FROM readings"));

            hubTime.Now = Now.AddMinutes(-2); // an NTP mis-step: reading 2 is 22 min in the hub's future
            hub.Db.Capture(TestContext.Current.CancellationToken);
            Assert.Equal(1.5, hub.Scalar("SELECT value FROM readings WHERE id = 2")); // withheld: the value stays

            factory.Dispose(); // the factory's volume replaced by an empty one, under the same site id
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!))
            {
                File.Delete(file);
            }

            factory = Node.Open(path, "f1/edge-0", AgentRole.Factory, factoryTime);
            factory.Db.RecordPeerVector(hub.Db.SiteId, hub.Db.Vector, TestContext.Current.CancellationToken); // the handshake
            Exchange(hub, factory);
            Exchange(factory, hub);
            Assert.Equal(0L, factory.Scalar("SELECT count(*) FROM readings WHERE id = 2")); // still in the hub's future: not relayed

            hubTime.Now = Now.AddMinutes(20).AddSeconds(30); // set right
            factory.Exec("INSERT INTO readings VALUES (3, 'dev-1', 3, 2.5)"); // the application writes on; its push reaches the hub
            for (int round = 0; round < 3; round++)
            {
                Exchange(factory, hub);
                Exchange(hub, factory);
            }

            // Before the fix the hub kept the reading at a withheld clock, with no log entry, for good: the factory that
            // wrote it never got it back.
            Assert.Equal(1.5, factory.Scalar("SELECT value FROM readings WHERE id = 2"));
            AssertSameRows(hub, factory, "readings", [1L], [2L], [3L]);
        }
        finally
        {
            factory.Dispose();
        }
    }

    [Fact]
    public void HubFarBehindHoldsAFactorysBothRowAnotherFactoryHas_TheFactoryLosesItsVolume_EveryReplicaEndsWithTheOriginal()
    {
        // The same with an `items` row (a `both` table) that a second factory already had: re-stamped as the hub's own
        // write, it ordered below the original, which the second factory never sends the hub (another cluster's change)
        // and the first had lost: the hub and f1 kept the re-stamp, f2 the original, for good (topology seed 2032).
        using var dir = new TempDir();
        var time = new ManualTime(Now);
        var hubTime = new ManualTime(Now);
        using var hub = Node.Open(dir.Db("hq"), "hq/edge-0", AgentRole.Hub, hubTime);
        using var f2 = Node.Open(dir.Db("f2"), "f2/edge-0", AgentRole.Factory, time);
        string path = dir.Db("f1");
        var f1 = Node.Open(path, "f1/edge-0", AgentRole.Factory, time);
        try
        {
            f1.Exec("INSERT INTO items VALUES ('f1', 0, 'saw')"); // held by the hub whatever its clock: it tells f1 it lost changes
            Exchange(f1, hub);
            time.Now = hubTime.Now = Now.AddMinutes(20);
            f1.Exec("INSERT INTO items VALUES ('f1', 1, 'drill')");
            Exchange(f1, hub);
            Exchange(hub, f2);
            Assert.Equal("drill", f2.Scalar("SELECT name FROM items WHERE tenant = 'f1' AND code = 1"));

            hubTime.Now = Now.AddMinutes(-2); // 22 min behind: the row is in the hub's future
            hub.Db.Capture(TestContext.Current.CancellationToken);
            f1.Dispose(); // f1's volume replaced by an empty one
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!))
            {
                File.Delete(file);
            }

            f1 = Node.Open(path, "f1/edge-0", AgentRole.Factory, time);
            f1.Db.RecordPeerVector(hub.Db.SiteId, hub.Db.Vector, TestContext.Current.CancellationToken);
            Exchange(hub, f1);

            hubTime.Now = Now.AddMinutes(20).AddSeconds(30); // set right
            f1.Exec("INSERT INTO readings VALUES (1, 'dev-1', 1, 0.5)");
            for (int round = 0; round < 3; round++)
            {
                foreach (var f in new[] { f1, f2 })
                {
                    Exchange(f, hub);
                    Exchange(hub, f);
                }
            }

            AssertSameRows(hub, f1, "items", ["f1", 0L], ["f1", 1L]);
            AssertSameRows(hub, f2, "items", ["f1", 0L], ["f1", 1L]);
        }
        finally
        {
            f1.Dispose();
        }
    }
}
