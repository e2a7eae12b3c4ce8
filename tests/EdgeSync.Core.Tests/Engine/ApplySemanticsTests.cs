using EdgeSync.Errors;
using EdgeSync.Protocol;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

public sealed class ApplySemanticsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site);

    private static List<ChangeBatch> Batches(Replica from, Replica to, int maxRows = 5_000)
    {
        from.Db.Capture();
        return from.Db.GetChanges(to.Db.Vector, TestContext.Current.CancellationToken).ToList();
    }

    [Fact]
    public void Apply_SameBatchTwice_IsIdempotent()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var batch = Assert.Single(Batches(a, b));
        b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        var sum = b.Db.Checksum(TestContext.Current.CancellationToken);
        var vector = b.Db.Vector;
        var again = b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, again.Applied);
        Assert.Equal(sum, b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(vector.ToString(), b.Db.Vector.ToString());
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Apply_BatchesInReverseOrder_GivesTheSameDatabase()
    {
        using var a = New("a");
        using var b = New("b");
        using var c = New("c");
        for (int i = 0; i < 30; i++)
        {
            a.Exec("INSERT INTO settings VALUES ($1, $2, 'a', 1)", "k" + i, "v" + i);
            a.Db.Capture(TestContext.Current.CancellationToken);
            a.Exec("UPDATE settings SET value = 'w' WHERE key = $1", "k" + (i / 2));
            a.Db.Capture(TestContext.Current.CancellationToken);
        }

        var options = new SyncDatabaseOptions { MaxBatchRows = 4 };
        a.Db.Dispose();
        using var small = SyncDatabase.Open(a.Path, options, cancellationToken: TestContext.Current.CancellationToken);
        var batches = small.GetChanges(b.Db.Vector, TestContext.Current.CancellationToken).ToList();
        Assert.True(batches.Count > 3);
        foreach (var batch in batches)
        {
            b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        foreach (var batch in Enumerable.Reverse(batches))
        {
            c.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        // Out-of-order batches merge their rows but only advance the vector contiguously; a second pass fills in.
        foreach (var batch in small.GetChanges(c.Db.Vector, TestContext.Current.CancellationToken))
        {
            c.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(small.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(small.Vector["a"], c.Db.Vector["a"]);
    }

    [Fact]
    public void AppliedChanges_AreNotRecapturedAsLocal_NoEcho()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Exec("INSERT INTO counters VALUES (5, 1, 'x', NULL)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        b.PullFrom(a);
        Assert.Equal(0, b.Db.Capture(TestContext.Current.CancellationToken).Changes);
        Assert.Equal(0, b.Db.Vector["b"]);
        Assert.Empty(b.Db.GetChanges(a.Db.Vector, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Relay_KeepsTheOriginalOrigin_AndNeverEchoesBack()
    {
        using var factory1 = New("factory-1");
        using var hub = New("hub");
        using var factory2 = New("factory-2");
        factory1.Exec("INSERT INTO settings VALUES ('line', 'running', 'f1', 1)");
        hub.PullFrom(factory1);
        factory2.PullFrom(hub);
        Assert.Equal("running", factory2.Scalar("SELECT value FROM settings WHERE key = 'line'"));
        Assert.Equal(1, factory2.Db.Vector["factory-1"]);
        Assert.Equal(0, factory2.Db.Vector["hub"]);
        // factory-1 asking the hub gets nothing back: every change there is its own.
        Assert.Empty(hub.Db.GetChanges(factory1.Db.Vector, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Apply_FailingMidway_RollsBackEverything()
    {
        using var a = New("a");
        using var b = New("b");
        b.Exec("CREATE UNIQUE INDEX settings_value ON settings(value)");
        b.Exec("INSERT INTO settings VALUES ('x', 'taken', 'b', 1)");
        b.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("INSERT INTO settings VALUES ('a1', 'fine', 'a', 1), ('a2', 'taken', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var batch = Assert.Single(Batches(a, b));
        var sum = b.Db.Checksum(TestContext.Current.CancellationToken);
        var vector = b.Db.Vector.ToString();
        var e = Assert.Throws<InvalidBatchException>(() => b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("rolled back", e.Message, StringComparison.Ordinal);
        Assert.Equal(sum, b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(vector, b.Db.Vector.ToString());
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM readings"));
        // The replica still works afterwards.
        b.Exec("INSERT INTO settings VALUES ('y', 'ok', 'b', 1)");
        Assert.Equal(1, b.Db.Capture(TestContext.Current.CancellationToken).Changes);
    }

    [Fact]
    public void Apply_BatchForUnknownTableOrColumn_IsRefusedWholeWithNothingApplied()
    {
        using var a = New("a");
        using var plain = new Replica(_dir.File("plain.db"), "plain", enable: false);
        plain.Db.EnableTable("settings", Schema.TablePolicy.Lww, TestContext.Current.CancellationToken);
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var batch = Assert.Single(Batches(a, plain));
        var e = Assert.Throws<InvalidBatchException>(() => plain.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("table 'readings', which is not synced here", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, plain.Scalar("SELECT count(*) FROM settings"));
    }

    [Fact]
    public void DeleteVsConcurrentUpdate_DeleteWins_AndIsAudited()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        a.Exec("UPDATE settings SET value = 'v1' WHERE key = 'k'");
        b.Exec("DELETE FROM settings WHERE key = 'k'");
        b.PullFrom(a);
        a.PullFrom(b);
        Assert.Equal(0L, a.Scalar("SELECT count(*) FROM settings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        var audit = a.Db.Status.GetConflicts().Concat(b.Db.Status.GetConflicts()).ToList();
        Assert.Contains(audit, c => c.Rule == "delete-wins" && c.Table == "settings" && c.Key == "'k'" && c.WinnerSite == "b" && c.LoserSite == "a");
    }

    [Fact]
    public void ReinsertAfterDelete_WinsOverTheDelete()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        b.Exec("DELETE FROM settings WHERE key = 'k'");
        b.Db.Capture(TestContext.Current.CancellationToken);
        b.Exec("INSERT INTO settings VALUES ('k', 'again', 'b', 2)");
        a.Exec("DELETE FROM settings WHERE key = 'k'");
        a.PullFrom(b);
        b.PullFrom(a);
        Assert.Equal("again", a.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ConcurrentUpdates_DifferentColumns_BothSurvive_SameColumn_LastWriterWinsAndIsAudited()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'nobody', 1)");
        b.PullFrom(a);
        a.Exec("UPDATE settings SET value = 'from-a' WHERE key = 'k'");
        b.Exec("UPDATE settings SET owner = 'b', value = 'from-b' WHERE key = 'k'");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Thread.Sleep(5);
        b.Db.Capture(TestContext.Current.CancellationToken); // b's clock is later: its value wins
        a.PullFrom(b);
        b.PullFrom(a);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal("from-b", a.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Equal("b", a.Scalar("SELECT owner FROM settings WHERE key = 'k'"));
        var onA = Assert.Single(a.Db.Status.GetConflicts());
        Assert.Equal(("value", "lww", "from-b", "from-a", "b", "a"), (onA.Column, onA.Rule, onA.WinnerValue, onA.LoserValue, onA.WinnerSite, onA.LoserSite));
        Assert.True(onA.WinnerHlc > onA.LoserHlc);
        // The losing write met the winner on a; b only ever received the merged state, so nothing lost there.
        Assert.Empty(b.Db.Status.GetConflicts());
    }

    [Fact]
    public void SequentialOverwrite_IsNotAConflict()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        b.Exec("UPDATE settings SET value = 'v1' WHERE key = 'k'");
        a.PullFrom(b);
        Assert.Equal("v1", a.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Empty(a.Db.Status.GetConflicts());
    }

    [Fact]
    public void ClusterSync_IsKeptPerPeerAndTable()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        b.PullFrom(a);
        var rows = b.Rows("SELECT sync_id, cluster_id, table_name, last_sync_time, sync_state FROM cluster_sync ORDER BY sync_id");
        Assert.Equal(2, rows.Count);
        Assert.Equal(["a/readings", "a", "readings"], rows[0][..3]);
        Assert.Equal(["a/settings", "a", "settings"], rows[1][..3]);
        Assert.All(rows, r => Assert.True((long)r[3]! >= before));
        Assert.All(rows, r => Assert.Equal("ok", r[4]));
        b.Db.Status.SetSyncState("a", "settings", "error: peer unreachable", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("error: peer unreachable", b.Db.Status.GetSyncStatus().Single(s => s.Table == "settings").State);
    }

    [Fact]
    public void MarkSynced_AfterAnEmptyExchange_RefreshesEveryTable()
    {
        using var a = New("a");
        using var b = New("b");
        Assert.Equal(0, b.PullFrom(a));
        b.Db.Status.MarkSynced("a", cancellationToken: TestContext.Current.CancellationToken);
        var rows = b.Db.Status.GetSyncStatus();
        Assert.Equal(["a/counters", "a/items", "a/readings", "a/settings"], rows.Select(r => r.SyncId));
        Assert.All(rows, r => Assert.True(r.LastSyncTime > 0 && r.State == "ok"));
    }

    [Fact]
    public void PeerBacklog_CountsWhatAPeerLacks_AndHowOldItIs()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v', 'a', 1)");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, Assert.Single(a.Db.Status.GetPeerBacklogs()).Backlog);
        a.Exec("INSERT INTO settings VALUES ('k2', 'v', 'a', 1), ('k3', 'v', 'a', 1)");
        a.Exec("UPDATE settings SET value = 'w' WHERE key = 'k1'");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Thread.Sleep(20);
        var behind = Assert.Single(a.Db.Status.GetPeerBacklogs());
        Assert.Equal(("b", 3L), (behind.Peer, behind.Backlog));
        Assert.True(behind.OldestUnsentAge >= TimeSpan.FromMilliseconds(15), $"lag {behind.OldestUnsentAge}");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.Zero, Assert.Single(a.Db.Status.GetPeerBacklogs()).OldestUnsentAge);
    }

    [Fact]
    public void Apply_ClockFarInTheFuture_IsRefusedWhole()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        var batch = Assert.Single(Batches(a, b));
        var future = DateTimeOffset.UtcNow.AddHours(1);
        var skewed = new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges, batch.Tables.Select(t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns,
            t.AllRows().Select(r => new RowChange(r.Key, EdgeSync.Merge.RowState.Alive(1, r.State.Values!,
                r.State.Clocks.Select(c => c with { Hlc = Clocks.Hlc.From(future.ToUnixTimeMilliseconds(), 0) }).ToArray()))).ToList())).ToList());
        var e = Assert.Throws<InvalidBatchException>(() => b.Db.Apply(skewed, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("ahead of this replica's clock", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM settings"));
        b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1L, b.Scalar("SELECT count(*) FROM settings"));
    }
}
