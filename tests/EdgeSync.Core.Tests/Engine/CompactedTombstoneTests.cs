using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A key re-inserted after this replica dropped its tombstone must beat the tombstone a peer still keeps: the causal
/// length continues from the table's floor of dropped tombstones instead of restarting at 1 (issue 15, item 3).
/// </summary>
public sealed class CompactedTombstoneTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site);

    private static long Tombstones(Replica r) => (long)r.Scalar("SELECT count(*) FROM _edgesync_rows WHERE cl % 2 = 0")!;

    private static void Compact(Replica r, Replica peer)
    {
        r.Db.RecordPeerVector(peer.Site, peer.Db.Vector);
        r.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public void TextKey_ReinsertedAfterItsTombstoneWasCompacted_ReachesThePeerThatKeptTheTombstone()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'old', 'a', 1)");
        b.PullFrom(a);
        a.Exec("DELETE FROM settings WHERE key = 'k'");
        b.PullFrom(a);
        Compact(a, b); // b never compacts: it keeps the tombstone
        Assert.Equal(0, Tombstones(a));
        Assert.Equal(1, Tombstones(b));

        a.Exec("INSERT INTO settings VALUES ('k', 'new', 'a', 2)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal("new", b.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void RowidKey_ReinsertedInsideItsInsertRangeAfterCompaction_ReachesThePeerThatKeptTheTombstone()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO counters VALUES (1, 1, 'x', NULL), (2, 2, 'y', NULL)");
        b.PullFrom(a);
        a.Exec("DELETE FROM counters WHERE id = 1");
        b.PullFrom(a);
        Compact(a, b);
        Assert.Equal(0, Tombstones(a));

        a.Exec("INSERT INTO counters VALUES (1, 10, 'again', NULL)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal("again", b.Scalar("SELECT b FROM counters WHERE id = 1"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void RowidKey_OnlyKnownAsAReceivedTombstone_ReinsertedAfterCompaction_ReachesThePeer()
    {
        using var a = New("a");
        using var b = New("b");
        b.Exec("INSERT INTO counters VALUES (50, 1, 'b', NULL)");
        b.Db.Capture(TestContext.Current.CancellationToken);
        b.Exec("DELETE FROM counters WHERE id = 50");
        a.PullFrom(b); // a holds only the tombstone of row 50, past its own insert watermark
        Compact(a, b);

        a.Exec("INSERT INTO counters VALUES (50, 7, 'a', NULL)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal("a", b.Scalar("SELECT b FROM counters WHERE id = 50"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void BothReplicasCompacted_ThenBothReinsertTheKey_Converge()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO items VALUES ('t', 1, 'first', 1)");
        b.PullFrom(a);
        a.Exec("DELETE FROM items WHERE tenant = 't' AND code = 1");
        b.PullFrom(a);
        a.PullFrom(b);
        Compact(a, b);
        Compact(b, a);
        Assert.Equal(0, Tombstones(a) + Tombstones(b));

        a.Exec("INSERT INTO items VALUES ('t', 1, 'from a', 2)");
        b.Exec("INSERT INTO items VALUES ('t', 1, 'from b', 3)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal(1L, a.Scalar("SELECT count(*) FROM items"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
