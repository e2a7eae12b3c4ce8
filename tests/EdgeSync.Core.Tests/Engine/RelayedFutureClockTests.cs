using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Two replicas' clocks ran ahead at once (simulation seeds 394, 516, 777, 1089 at 120 steps): one accepted the
/// other's future-stamped write, which was not ahead of <em>its</em> clock. Once both clocks are set right, nothing in
/// the future may be relayed to a replica whose clock is right, and every replica must end up with the same rows.
/// </summary>
public sealed class RelayedFutureClockTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TwoClocksAheadAtOnce_BothSetRight_TheRelayIsAccepted_AndALaterWriteElsewhereWins()
    {
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddMinutes(60)));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddMinutes(57)));
        using var c = new Replica(_dir.File("c.db"), "c", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('mode', 'set while ahead', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        a.Exec("INSERT INTO readings VALUES (2, 'd', 2, 2.0)");
        b.PullFrom(a);   // 3 min ahead of b's own clock: accepted
        Assert.Equal("set while ahead", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));

        a.Reopen(new ManualTime(Now.AddSeconds(1)));   // both clocks set right
        b.Reopen(new ManualTime(Now.AddSeconds(1)));
        c.PullFrom(b);   // b relays a's write: before the fix, refused as from the future (a's clock, not b's)

        Assert.Equal("set while ahead", c.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal(2L, c.Scalar("SELECT count(*) FROM readings"));

        var cTime = new ManualTime(Now.AddSeconds(30));
        c.Reopen(cTime);
        c.Exec("UPDATE settings SET value = 'set later on c' WHERE key = 'mode'");
        foreach (var (into, from) in new[] { (a, b), (a, c), (b, a), (b, c), (c, a), (c, b), (a, b), (b, a) })
        {
            into.PullFrom(from);
        }

        foreach (var r in new[] { a, b, c })
        {
            Assert.Equal("set later on c", r.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
            Assert.Equal(2L, r.Scalar("SELECT count(*) FROM readings"));
        }

        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
        foreach (var r in new[] { b, c })
        {
            Assert.True(r.Db.Vector.Dominates(a.Db.Vector) && a.Db.Vector.Dominates(r.Db.Vector), $"{r.Db.Vector} vs {a.Db.Vector}");
        }
    }

    [Fact]
    public void FutureWriteStillHeldByAReplicaAheadWithinTolerance_EveryReplicaAgreesOnceItIsAccepted()
    {
        // b re-stamps a's future write when its clock is set right; d, whose clock stays 57 min ahead, keeps the
        // original. A later write on c beats b's re-stamp, but loses to the original once d's batches are accepted
        // (when real time is within MaxClockDrift of it). b must then take the original too, not skip it as known.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddMinutes(60)));
        var bTime = new ManualTime(Now.AddMinutes(57));
        using var b = new Replica(_dir.File("b.db"), "b", time: bTime);
        using var c = new Replica(_dir.File("c.db"), "c", time: new ManualTime(Now));
        var dTime = new ManualTime(Now.AddMinutes(57));
        using var d = new Replica(_dir.File("d.db"), "d", time: dTime);
        a.Exec("INSERT INTO settings VALUES ('mode', 'set while ahead', 'a', 1)");
        b.PullFrom(a);
        d.PullFrom(a);

        bTime.Now = Now.AddSeconds(1);   // b's clock set right while it runs
        b.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("b~", b.Db.SiteId, StringComparison.Ordinal);
        c.PullFrom(b);
        c.Exec("UPDATE settings SET value = 'set later on c' WHERE key = 'mode'");
        b.PullFrom(c);
        Assert.Equal("set later on c", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));

        // 56 minutes later a's write is within MaxClockDrift of the right clocks: d's batches are accepted.
        var later = Now.AddMinutes(56);
        bTime.Now = later;
        dTime.Now = later.AddMinutes(57);
        c.Reopen(new ManualTime(later));
        b.PullFrom(d);
        c.PullFrom(d);
        foreach (var (into, from) in new[] { (b, c), (c, b), (d, b), (d, c), (b, d), (c, d) })
        {
            into.PullFrom(from);
        }

        var values = new[] { b, c, d }.Select(r => r.Scalar("SELECT value FROM settings WHERE key = 'mode'")).ToList();
        Assert.All(values, v => Assert.Equal(values[0], v));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), d.Db.Checksum(TestContext.Current.CancellationToken));
    }
    [Fact]
    public void RelayCompactedBeforeTheFix_PeersWithARightClockStillExchangeBothWays()
    {
        // b compacted a's future event away (a held it), so its floor for a was past it. Disclaimed, the floor must come
        // back too: else every batch from a peer that never held a's event is refused as extracted before the floor.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddMinutes(60)));
        var bTime = new ManualTime(Now.AddMinutes(57));
        using var b = new Replica(_dir.File("b.db"), "b", time: bTime);
        using var c = new Replica(_dir.File("c.db"), "c", time: new ManualTime(Now.AddSeconds(2)));
        a.Exec("INSERT INTO settings VALUES ('mode', 'set while ahead', 'a', 1)");
        b.PullFrom(a);
        var compacted = b.Db.Compact(["a"], TestContext.Current.CancellationToken);
        Assert.True(compacted.LogEntries > 0, "b's log entry of a's write was not compacted: the test sets up nothing");

        bTime.Now = Now.AddSeconds(1);
        c.Exec("INSERT INTO settings VALUES ('unit', 'mm', 'c', 1)");
        b.PullFrom(c);
        c.PullFrom(b);

        foreach (var r in new[] { b, c })
        {
            Assert.Equal("set while ahead", r.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
            Assert.Equal("mm", r.Scalar("SELECT value FROM settings WHERE key = 'unit'"));
        }

        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void FutureValueKeptAsideForAColumnNotAddedHereYet_IsReStampedToo()
    {
        // Seeds 1544 and 5258 at 120 steps: b, 57 min ahead and still without a's new column, kept a's value of it aside
        // (_edgesync_stash). When b's clock was set right the row's cells were re-stamped, the kept value was not: b
        // relayed it, and every batch of b was refused as from the future by replicas with a right clock.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddMinutes(60)));
        var bTime = new ManualTime(Now.AddMinutes(57));
        using var b = new Replica(_dir.File("b.db"), "b", time: bTime);
        using var c = new Replica(_dir.File("c.db"), "c", time: new ManualTime(Now.AddSeconds(2)));
        a.Exec("ALTER TABLE settings ADD COLUMN unit TEXT");
        c.Exec("ALTER TABLE settings ADD COLUMN unit TEXT");
        a.Exec("INSERT INTO settings VALUES ('speed', '10', 'a', 1, 'mm/s')");
        b.PullFrom(a);
        Assert.Equal("10", b.Scalar("SELECT value FROM settings WHERE key = 'speed'"));

        bTime.Now = Now.AddSeconds(1);   // b's clock set right
        c.PullFrom(b);   // before the fix: refused, a's clock of 'unit' kept aside on b is 60 min ahead of c's
        Assert.Equal("mm/s", c.Scalar("SELECT unit FROM settings WHERE key = 'speed'"));

        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT");   // b's application catches up: the kept value is written
        b.Db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal("mm/s", b.Scalar("SELECT unit FROM settings WHERE key = 'speed'"));
        c.PullFrom(b);
        c.Exec("UPDATE settings SET unit = 'm/s' WHERE key = 'speed'");   // a later write elsewhere wins
        b.PullFrom(c);
        c.PullFrom(b);

        Assert.Equal("m/s", b.Scalar("SELECT unit FROM settings WHERE key = 'speed'"));
        Assert.Equal("m/s", c.Scalar("SELECT unit FROM settings WHERE key = 'speed'"));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
