using EdgeSync.Errors;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A replica whose clock ran ahead, wrote, and was set right (issue 15, item 2): it must resume, lose nothing it wrote
/// in either period, and its future-stamped writes must not keep beating later writes elsewhere.
/// </summary>
public sealed class ClockRanAheadTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ClockFixedAfterRunningTwoHoursAhead_PeersGetEverythingItWrote_InBothPeriods()
    {
        var aTime = new ManualTime(Now.AddHours(2));
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('written-ahead', 'v1', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var refused = Assert.Throws<InvalidBatchException>(() => b.PullFrom(a));   // 2 h ahead: refused while it lasts
        Assert.Contains("ahead of this replica's clock", refused.Message, StringComparison.Ordinal);

        a.Reopen(new ManualTime(Now.AddSeconds(1)));   // restarted with the right clock
        a.Exec("INSERT INTO settings VALUES ('written-after-fix', 'v2', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (2, 'd', 2, 2.0)");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);
        Assert.Equal("v1", b.Scalar("SELECT value FROM settings WHERE key = 'written-ahead'"));
        Assert.Equal("v2", b.Scalar("SELECT value FROM settings WHERE key = 'written-after-fix'"));
        Assert.Equal(2L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        long maxHlcMs = (long)a.Scalar("SELECT max(hlc) FROM _edgesync_log")! >>> 16;
        Assert.True(maxHlcMs < Now.AddMinutes(5).ToUnixTimeMilliseconds(), "the HLC stayed pinned ahead after the clock was fixed");
    }

    [Fact]
    public void ClockFix_KeepsThePastTimeOfOlderValues_SoANewerWriteElsewhereStillWins()
    {
        // a wrote 'old' with a right clock; b overwrote it 10 s later; a has not pulled that yet when its clock runs
        // ahead and is fixed. The re-stamp must not make a's older value newer than b's write.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddSeconds(10)));
        a.Exec("INSERT INTO settings VALUES ('mode', 'old', 'a', 1)");
        b.PullFrom(a);
        b.Exec("UPDATE settings SET value = 'newer on b' WHERE key = 'mode'");

        a.Reopen(new ManualTime(Now.AddHours(2)));
        a.Exec("INSERT INTO settings VALUES ('other', 'written ahead', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Reopen(new ManualTime(Now.AddMinutes(1)));   // the clock is fixed: a continues as a new incarnation

        b.PullFrom(a);
        a.PullFrom(b);

        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);
        Assert.Equal("newer on b", a.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal("newer on b", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal("written ahead", b.Scalar("SELECT value FROM settings WHERE key = 'other'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void FutureStampedWrite_LosesToALaterWriteElsewhere_OnEveryReplica_AndTheLossIsAudited()
    {
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddMinutes(10)));
        a.Exec("INSERT INTO settings VALUES ('mode', 'initial', 'a', 1)");
        b.PullFrom(a);

        a.Reopen(new ManualTime(Now.AddHours(2)));      // a's clock jumps 2 h ahead; it changes the setting
        a.Exec("UPDATE settings SET value = 'set while ahead' WHERE key = 'mode'");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Reopen(new ManualTime(Now.AddMinutes(5)));    // set right again, before b's later write
        b.Exec("UPDATE settings SET value = 'set later on b' WHERE key = 'mode'");

        // Both arrival orders: each replica decides the same winner.
        b.PullFrom(a);
        a.PullFrom(b);
        b.PullFrom(a);

        Assert.Equal("set later on b", a.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal("set later on b", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        var lost = a.Db.Status.GetConflicts().Concat(b.Db.Status.GetConflicts()).Where(c => c.Table == "settings").ToList();
        Assert.Contains(lost, c => Equals(c.LoserValue, "set while ahead") && Equals(c.WinnerValue, "set later on b"));
    }

    [Fact]
    public void ClockFixedWhileTheProcessRuns_NextCaptureContinuesAsANewIncarnation()
    {
        var time = new ManualTime(Now.AddHours(2));
        using var a = new Replica(_dir.File("a.db"), "a", time: time);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('k1', 'ahead', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        time.Now = Now;   // NTP steps the clock back; no restart
        a.Exec("INSERT INTO settings VALUES ('k2', 'after', 'a', 1)");
        b.PullFrom(a);

        Assert.Equal(2L, b.Scalar("SELECT count(*) FROM settings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ClockBehindByLessThanMaxDrift_KeepsTheSiteId()
    {
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Reopen(new ManualTime(Now.AddMinutes(-4)));
        a.Exec("UPDATE settings SET value = 'w'");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal("a", a.Db.SiteId);
    }

    [Fact]
    public void ClockFixedAfterAPeerCompactedWhatItWroteBefore_BothStillExchange_AndTheNewWritesArrive()
    {
        // Seeds 1573 and 1762 at 120 steps: b compacted a's first writes (every peer held them). a's clock then ran
        // ahead and was set right; a continued as a new incarnation and forgot it held its old id's changes, so b refused
        // a's batches as extracted before its floor (StaleBatch) and a's pulls as needing a re-seed (ResyncRequired).
        var aTime = new ManualTime(Now);
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddSeconds(1)));
        a.Exec("INSERT INTO settings VALUES ('before', 'v0', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        b.PullFrom(a);
        a.PullFrom(b);   // b records that a holds everything
        Assert.True(b.Db.Compact(["a"], TestContext.Current.CancellationToken).LogEntries > 0, "nothing compacted: the test sets up nothing");

        aTime.Now = Now.AddHours(2);
        a.Exec("INSERT INTO settings VALUES ('ahead', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        aTime.Now = Now.AddSeconds(2);   // set right
        a.Exec("INSERT INTO settings VALUES ('after', 'v2', 'a', 1)");
        b.PullFrom(a);   // before the fix: StaleBatch
        a.PullFrom(b);   // before the fix: ResyncRequired

        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);
        Assert.Equal(["after", "ahead", "before"], b.Rows("SELECT key FROM settings ORDER BY key").Select(r => (string)r[0]!));
        Assert.Equal(1L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.True(a.Db.Vector.Dominates(b.Db.Vector) && b.Db.Vector.Dominates(a.Db.Vector), $"{a.Db.Vector} vs {b.Db.Vector}");
    }

    [Fact]
    public void AWriteThatLostToAFutureClock_StillOrdersRightAfterTheFix_OnEveryReplica()
    {
        // Seed 2623 at 120 steps: c (2 min fast, within tolerance) wrote 'mode'; a, an hour ahead, had written it too, so
        // c's write lost there and nothing on a named it any more. a's clock was then set right: its write came down to
        // a's wall clock, below c's write, which a claimed as held and so never took back. Every other replica held c's
        // write: a differed from them for good.
        var aTime = new ManualTime(Now.AddHours(1));
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddSeconds(2)));
        using var c = new Replica(_dir.File("c.db"), "c", time: new ManualTime(Now.AddMinutes(2)));
        a.Exec("INSERT INTO settings VALUES ('mode', 'written ahead on a', 'a', 1)");
        c.Exec("INSERT INTO settings VALUES ('mode', 'written on c', 'c', 1)");
        a.PullFrom(c);
        Assert.Equal("written ahead on a", a.Scalar("SELECT value FROM settings WHERE key = 'mode'"));

        aTime.Now = Now.AddSeconds(1);   // a's clock set right
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);
        foreach (var (into, from) in new[] { (b, a), (b, c), (c, a), (a, b), (a, c), (c, b) })
        {
            into.PullFrom(from);
        }

        var values = new[] { a, b, c }.Select(r => r.Scalar("SELECT value FROM settings WHERE key = 'mode'")).ToList();
        Assert.All(values, v => Assert.Equal(values[0], v));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
