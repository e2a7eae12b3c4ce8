using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Backup;
using EdgeSync.Errors;
using EdgeSync.Tests.Support;
using EdgeSync.Verify;

namespace EdgeSync.Tests.Verify;

/// <summary>
/// Anti-entropy finds each fault of issue 15 (2–5; 1 is <see cref="ContentDigestTests"/>' clean copy put back) and a
/// silent schema drift: each scenario is made as it happens (a clock ahead, a compaction without the causal-length
/// floor, a restore, a withheld history, a rebuild outside EdgeSync), and the content comparison names the rows or
/// columns that differ, where version vectors alone see nothing wrong or only a stall.
/// </summary>
public sealed class AntiEntropyFaultTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static DigestComparison Compare(Replica x, Replica y) => x.Db.CompareContent(y.Db, x.Site + ".db", y.Site + ".db", cancellationToken: Ct);

    private static RowDifference Row(DigestComparison c, string table, string key) =>
        Assert.Single(c.Tables.Single(t => t.Table == table).Rows, r => r.Key.Contains(key, StringComparison.Ordinal));

    /// <summary>Every change <paramref name="from"/> has that <paramref name="to"/> lacks, through the agent's one send and receive path, with roles.</summary>
    private static void Send(Replica from, AgentRole fromRole, Replica to, AgentRole toRole)
    {
        from.Db.Capture(Ct);
        var inbound = new Inbound(new SyncEndpoint(to.Db) { Role = toRole }, from.Db.SiteId, fromRole);
        new Outbound(new SyncEndpoint(from.Db) { Role = fromRole }, to.Db.SiteId, toRole).Send(to.Db.Vector, b => inbound.Receive(b.Payload), Ct);
    }

    [Fact]
    public void Fault2_ClockRanAhead_ItsStuckWritesAreNamed()
    {
        var now = DateTimeOffset.UtcNow;
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(now.AddHours(2)));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(now));
        a.Exec("INSERT INTO settings VALUES ('ahead', 'v', 'a', 1)");
        Assert.Throws<InvalidBatchException>(() => b.PullFrom(a));

        var c = Compare(a, b);

        Assert.Equal(RowDifferenceKind.OnlyInFirst, Row(c, "settings", "ahead").Kind);
    }

    [Fact]
    public void Fault3_ReinsertAfterCompactionWithoutTheCausalLengthFloor_IsNamed()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k', 'old', 'a', 1)");
        b.PullFrom(a);
        a.Exec("DELETE FROM settings WHERE key = 'k'");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Db.Compact(cancellationToken: Ct);
        a.Exec("UPDATE _edgesync_tables SET clfloor = 0"); // the fault as it was before the fix: the floor forgotten
        a.Reopen();
        a.Exec("INSERT INTO settings VALUES ('k', 'new', 'a', 2)");
        b.PullFrom(a);
        a.PullFrom(b);
        Assert.Equal(a.Db.Vector["a"], b.Db.Vector["a"]); // the vectors see nothing wrong

        var c = Compare(a, b);

        Assert.Equal(RowDifferenceKind.OnlyInFirst, Row(c, "settings", "'k'").Kind);
    }

    [Fact]
    public void Fault4_OneReplicaFactoryRestoredFromABackup_IsNamed_UntilTheHubSendsItsWritesBack()
    {
        string path = _dir.File("f.db"), backup = _dir.File("f.backup");
        using var hub = new Replica(_dir.File("hq.db"), "hq");
        using (var f = new Replica(path, "f"))
        {
            f.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'f', 1), ('k2', 'v2', 'f', 1)");
            Send(f, AgentRole.Factory, hub, AgentRole.Hub);
            f.Db.Backup(backup, cancellationToken: Ct);
            f.Exec("DELETE FROM settings WHERE key = 'k2'");
            f.Exec("INSERT INTO settings VALUES ('k3', 'v3', 'f', 1)");
            Send(f, AgentRole.Factory, hub, AgentRole.Hub);
        }

        DatabaseBackup.Restore(backup, path, replace: true, cancellationToken: TestContext.Current.CancellationToken);
        using var restored = new Replica(path, "f", enable: false);

        var c = Compare(restored, hub);
        Assert.Equal(RowDifferenceKind.OnlyInFirst, Row(c, "settings", "k2").Kind); // the deleted row is back
        Assert.Equal(RowDifferenceKind.OnlyInSecond, Row(c, "settings", "k3").Kind);

        Send(hub, AgentRole.Hub, restored, AgentRole.Factory);
        Send(restored, AgentRole.Factory, hub, AgentRole.Hub);
        Assert.True(Compare(restored, hub).Identical, string.Join("; ", Compare(restored, hub).Describe()));
    }

    [Fact]
    public void Fault5_HistoryWithheldFromAFactory_IsNamed_UntilTheHubReoffersTheTable()
    {
        using var hub = new Replica(_dir.File("hq.db"), "hq");
        using var f1 = new Replica(_dir.File("f1.db"), "f1");
        using var f2 = new Replica(_dir.File("f2.db"), "f2");
        f2.Exec("INSERT INTO items VALUES ('t', 1, 'from f2', 1)");
        Send(f2, AgentRole.Factory, hub, AgentRole.Hub);
        // While items was 'up', the hub's batches to f1 carried no items rows, but their ranges passed f2's change.
        var up = new Inbound(new SyncEndpoint(f1.Db) { Role = AgentRole.Factory, DirectionOf = _ => SyncDirection.Up }, "hq", AgentRole.Hub);
        new Outbound(new SyncEndpoint(hub.Db) { Role = AgentRole.Hub, DirectionOf = _ => SyncDirection.Up }, "f1", AgentRole.Factory)
            .Send(f1.Db.Vector, b => up.Receive(b.Payload), Ct);
        Assert.Equal(hub.Db.Vector["f2"], f1.Db.Vector["f2"]);

        var c = Compare(hub, f1);
        Assert.Equal(RowDifferenceKind.OnlyInFirst, Row(c, "items", "'t'").Kind);

        hub.Db.ReofferTable("items", Ct); // what the hub does when it finds the table opened (both)
        Send(hub, AgentRole.Hub, f1, AgentRole.Factory);
        Assert.True(Compare(hub, f1).Identical, string.Join("; ", Compare(hub, f1).Describe()));
    }

    [Fact]
    public void SilentSchemaDrift_AColumnRetypedByARebuildOnOneSide_IsNamed()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k', '5', 'a', 1)");
        b.PullFrom(a);
        b.Exec("""
            CREATE TABLE settings_new(key TEXT PRIMARY KEY, value INTEGER, owner TEXT, version INTEGER);
            INSERT INTO settings_new SELECT * FROM settings;
            DROP TABLE settings;
            ALTER TABLE settings_new RENAME TO settings;
            """);
        b.Db.Capture(Ct);

        var c = Compare(a, b);

        var settings = c.Tables.Single(t => t.Table == "settings");
        Assert.Contains(settings.TypeDifferences, d => d.StartsWith("value", StringComparison.Ordinal));
        Assert.Equal(["value"], Row(c, "settings", "'k'").Columns); // the text '5' became the integer 5
    }
}
