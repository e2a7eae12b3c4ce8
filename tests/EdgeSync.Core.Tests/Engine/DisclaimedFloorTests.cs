using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Events a replica held, accepted because they were stamped less than <c>MaxClockDrift</c> ahead, and dropped by
/// compaction, which their origin later disclaims when its clock, further ahead meanwhile, is set right (design §6,
/// §6b; docs/guarantees.md, "a factory compacts while the hub's clock runs hours ahead").
/// </summary>
public sealed class DisclaimedFloorTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void OriginDisclaimsEventsAPeerCompacted_BothStillExchange_AndConverge()
    {
        var aTime = new ManualTime(Now.AddMinutes(3)); // ahead, but within the 5 min tolerance: b accepts a's writes
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('early', 'v0', 'a', 1)");
        a.Exec("INSERT INTO settings VALUES ('gone', 'v0', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("DELETE FROM settings WHERE key = 'gone'");
        b.PullFrom(a);
        a.PullFrom(b); // b records that a holds everything
        a.Db.RecordPeerVector("b", b.Db.Vector, TestContext.Current.CancellationToken); // b holds everything a wrote
        var compacted = b.Db.Compact(["a"], TestContext.Current.CancellationToken);
        Assert.True(compacted.LogEntries > 0 && compacted.Tombstones > 0, "b compacted nothing of a's: the test sets up nothing");
        var own = a.Db.Compact(["b"], TestContext.Current.CancellationToken);
        Assert.True(own.LogEntries > 0, $"a compacted nothing: {own}");

        aTime.Now = Now.AddHours(2); // further ahead
        a.Exec("INSERT INTO settings VALUES ('ahead', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        aTime.Now = Now.AddSeconds(10); // set right while its first writes are still ahead of every right clock
        a.Exec("INSERT INTO settings VALUES ('after', 'v2', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);

        // Before the fix a compared its set-back clock with its log only, which no longer named its first writes: they
        // counted as in the future, were re-stamped and disclaimed (its vector for 'a' fell to 0, below b's floor of 3),
        // and b refused every later batch of a as extracted before its floor (StaleBatch), for good.
        b.PullFrom(a);
        a.PullFrom(b);
        b.PullFrom(a);

        Assert.Equal(["after", "ahead", "early"], b.Rows("SELECT key FROM settings ORDER BY key").Select(r => (string)r[0]!));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.True(a.Db.Vector.Dominates(b.Db.Vector) && b.Db.Vector.Dominates(a.Db.Vector), $"{a.Db.Vector} vs {b.Db.Vector}");

        // a still holds its first writes as they were (within the tolerance, so every replica takes them): the original
        // clocks stay the winners on both replicas, rather than the original on b and a re-stamp on a.
        Assert.Equal(3, a.Db.Vector["a"]);
    }

    /// <summary>
    /// The case rule 3 cannot keep (design §6b): b accepted a's first writes while its own clock was ahead (or a's
    /// set-right clock is behind b's), so they are more than <c>MaxClockDrift</c> ahead of a's wall clock at the fix, and
    /// a disclaims them although b held and compacted them.
    /// </summary>
    [Theory]
    [InlineData(2, 6.5, 0)] // b's clock 2 min fast, a's 6.5 min ahead, then set right
    [InlineData(0, 4, -2)] // b's clock right, a's 4 min ahead, then set 2 min behind
    public void OriginDisclaimsEventsAPeerAcceptedAheadAndCompacted_BothStillExchange_AndConverge(double bAhead, double aAhead, double aFixedTo)
    {
        var aTime = new ManualTime(Now.AddMinutes(aAhead));
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now.AddMinutes(bAhead)));
        a.Exec("INSERT INTO settings VALUES ('early', 'v0', 'a', 1)");
        a.Exec("INSERT INTO settings VALUES ('gone', 'v0', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("DELETE FROM settings WHERE key = 'gone'");
        b.PullFrom(a); // within the tolerance of b's clock
        a.PullFrom(b);
        a.Db.RecordPeerVector("b", b.Db.Vector, TestContext.Current.CancellationToken);
        var compacted = b.Db.Compact(["a"], TestContext.Current.CancellationToken);
        Assert.True(compacted.LogEntries > 0 && compacted.Tombstones > 0, "b compacted nothing of a's: the test sets up nothing");

        aTime.Now = Now.AddHours(2);
        a.Exec("INSERT INTO settings VALUES ('ahead', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        aTime.Now = Now.AddMinutes(aFixedTo).AddSeconds(10); // set right: its first writes are more than 5 min ahead of it
        a.Exec("INSERT INTO settings VALUES ('after', 'v2', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("a~", a.Db.SiteId, StringComparison.Ordinal);
        Assert.Equal(0, a.Db.Vector["a"]); // disclaimed from its first event on, below b's floor

        // Before the fix b refused every later batch of a as extracted before its floor for 'a' (StaleBatch), for good.
        b.PullFrom(a);

        // b sends back the originals (a's vector for 'a' is below b's floor: before the fix, ResyncRequired, for good),
        // which a takes once they are within the tolerance of its clock (rule 2 of design §6b).
        aTime.Now = Now.AddMinutes(aFixedTo + 2);
        a.PullFrom(b);
        Assert.Equal(3, a.Db.Vector["a"]); // the originals b held (a's 4th event, 'ahead', no replica but a ever held)
        b.PullFrom(a);

        Assert.Equal(["after", "ahead", "early"], b.Rows("SELECT key FROM settings ORDER BY key").Select(r => (string)r[0]!));
        Assert.Equal(["after", "ahead", "early"], a.Rows("SELECT key FROM settings ORDER BY key").Select(r => (string)r[0]!));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.True(a.Db.Vector.Dominates(b.Db.Vector) && b.Db.Vector.Dominates(a.Db.Vector), $"{a.Db.Vector} vs {b.Db.Vector}");

        // The originals b held came back to a: a later write at a is judged against the same clock on both.
        a.Exec("UPDATE settings SET value = 'later' WHERE key = 'early'");
        b.PullFrom(a);
        Assert.Equal(a.Scalar("SELECT value FROM settings WHERE key = 'early'"), b.Scalar("SELECT value FROM settings WHERE key = 'early'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void OriginDisclaimsEventsAPeerCompacted_APeerOnProtocol3StillRefusesItsBatches()
    {
        // An agent not upgraded gets the batch without the announce (it could not read it): it refuses as before, and
        // never takes a batch it cannot tell from a stale one.
        var aTime = new ManualTime(Now.AddMinutes(4));
        using var a = new Replica(_dir.File("a.db"), "a", time: aTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('early', 'v0', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        b.PullFrom(a);
        Assert.True(b.Db.Compact(["a"], TestContext.Current.CancellationToken).LogEntries > 0, "b compacted nothing of a's: the test sets up nothing");
        aTime.Now = Now.AddHours(2);
        a.Exec("INSERT INTO settings VALUES ('ahead', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        aTime.Now = Now.AddMinutes(-2);
        a.Exec("INSERT INTO settings VALUES ('after', 'v2', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        Assert.NotEmpty(a.Db.Disclaimed);

        var inbound = new Inbound(new SyncEndpoint(b.Db) { ProtocolVersion = 3 }, "a", AgentRole.Peer);
        var e = Assert.Throws<SyncStateException>(() => new Outbound(new SyncEndpoint(a.Db), "b", AgentRole.Peer, peerProtocol: 3)
            .Send(b.Db.Vector, batch => inbound.Receive(batch.Payload), TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.StaleBatch, e.Code);
    }

    [Fact]
    public void RelayDisclaimsAnotherOriginsEventsAPeerCompacted_ItsLaterBatchesAreStillTaken()
    {
        // The relay's version (design §6b, rule 4): r accepted a's writes, stamped within the tolerance ahead, and
        // relayed them to b; both compacted them. r's clock then ran ahead and was set right while a's writes were
        // still ahead of every right clock.
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddMinutes(3)));
        var rTime = new ManualTime(Now);
        using var r = new Replica(_dir.File("r.db"), "r", time: rTime);
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('early', 'v0', 'a', 1)");
        a.Exec("INSERT INTO settings VALUES ('gone', 'v0', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("DELETE FROM settings WHERE key = 'gone'");
        r.PullFrom(a);
        b.PullFrom(r);
        r.PullFrom(b); // b records that r holds everything
        r.Db.RecordPeerVector("b", b.Db.Vector, TestContext.Current.CancellationToken);
        Assert.True(b.Db.Compact(["r"], TestContext.Current.CancellationToken).Tombstones > 0, "b compacted nothing of a's: the test sets up nothing");
        Assert.True(r.Db.Compact(["b"], TestContext.Current.CancellationToken).LogEntries > 0, "r compacted nothing: the test sets up nothing");

        rTime.Now = Now.AddHours(2);
        r.Exec("INSERT INTO settings VALUES ('ahead', 'v1', 'r', 1)");
        r.Db.Capture(TestContext.Current.CancellationToken);
        rTime.Now = Now.AddSeconds(10);
        r.Exec("INSERT INTO settings VALUES ('after', 'v2', 'r', 1)");
        r.Db.Capture(TestContext.Current.CancellationToken);
        Assert.StartsWith("r~", r.Db.SiteId, StringComparison.Ordinal);

        b.PullFrom(r); // before the fix: StaleBatch (r had disclaimed a's events, below b's floor for 'a')
        r.PullFrom(b);

        Assert.Equal(["after", "ahead", "early"], b.Rows("SELECT key FROM settings ORDER BY key").Select(row => (string)row[0]!));
        Assert.Equal(r.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.True(r.Db.Vector.Dominates(b.Db.Vector) && b.Db.Vector.Dominates(r.Db.Vector), $"{r.Db.Vector} vs {b.Db.Vector}");
    }
}
