using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

public sealed class CompactionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site);

    private static long LogEntries(Replica r) => (long)r.Scalar("SELECT count(*) FROM _edgesync_log WHERE span = 0")!;

    private static long Tombstones(Replica r) => (long)r.Scalar("SELECT count(*) FROM _edgesync_rows WHERE cl % 2 = 0")!;

    [Fact]
    public void Compact_WaitsForEveryKnownPeer_ThenDropsLogAndTombstones()
    {
        using var a = New("a");
        using var b = New("b");
        using var c = New("c");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v', 'a', 1), ('k2', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("DELETE FROM settings WHERE key = 'k1'");
        a.Db.Capture(TestContext.Current.CancellationToken);
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(default, a.Db.Compact(requiredPeers: ["c"], TestContext.Current.CancellationToken));
        Assert.Equal(3, LogEntries(a));

        c.PullFrom(a);
        a.Db.RecordPeerVector("c", c.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        var result = a.Db.Compact(requiredPeers: ["c"], TestContext.Current.CancellationToken);
        Assert.Equal(3, result.LogEntries);
        Assert.Equal(1, result.Tombstones);
        Assert.Equal(0, LogEntries(a));
        Assert.Equal(0, Tombstones(a));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), a.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(c.Db.Checksum(TestContext.Current.CancellationToken), a.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ForgettingARemovedPeer_LetsCompactionProceed_AndItsReturnNeedsAReseed()
    {
        using var a = New("a");
        using var b = New("b");
        using var gone = New("gone");
        a.Exec("INSERT INTO settings VALUES ('k1', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        gone.PullFrom(a);
        a.Db.RecordPeerVector("gone", gone.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Exec("INSERT INTO settings VALUES ('k2', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Db.Status.MarkSynced("gone", cancellationToken: TestContext.Current.CancellationToken);

        // The removed replica holds the floor at k1: k2's entry stays.
        a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, LogEntries(a));

        Assert.True(a.Db.Status.ForgetPeer("gone", cancellationToken: TestContext.Current.CancellationToken));
        Assert.False(a.Db.Status.ForgetPeer("gone", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(0L, a.Scalar("SELECT count(*) FROM cluster_sync WHERE cluster_id = 'gone'"));
        Assert.Equal(1, a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken).LogEntries);
        Assert.Equal(0, LogEntries(a));

        // It comes back behind the floor: refused, not served a partial log.
        var e = Assert.Throws<SyncStateException>(() => a.Db.GetChanges(gone.Db.Vector, TestContext.Current.CancellationToken).ToList());
        Assert.Equal(ErrorCode.ResyncRequired, e.Code);
    }

    [Fact]
    public void PeerBehindTheCompactionFloor_MustBeReseeded()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
        var e = Assert.Throws<SyncStateException>(() => a.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken).ToList());
        Assert.Equal(ErrorCode.ResyncRequired, e.Code);
        Assert.Contains("re-seed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchExtractedBeforeTheFloor_IsRefusedAsStale_SoADroppedTombstoneCannotResurrectARow()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        b.PullFrom(a);
        var old = b.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken).ToList(); // b's old view: row alive
        a.Exec("DELETE FROM settings WHERE key = 'k'");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, Tombstones(a));
        var e = Assert.Throws<SyncStateException>(() => a.Db.Apply(old.Single(), "b", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.StaleBatch, e.Code);
        Assert.Equal(0L, a.Scalar("SELECT count(*) FROM settings"));
    }

    [Fact]
    public void Compact_KeepsInsertRanges_SoRowClocksSurvive()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO counters VALUES (1, 1, 'x', NULL), (2, 2, 'y', NULL)");
        b.PullFrom(a);
        a.Db.RecordPeerVector("b", b.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        a.Db.Compact(cancellationToken: TestContext.Current.CancellationToken);
        b.Exec("UPDATE counters SET a = 10 WHERE id = 1");
        a.PullFrom(b);
        b.PullFrom(a);
        Assert.Equal(10L, a.Scalar("SELECT a FROM counters WHERE id = 1"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
