using EdgeSync.Merge;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Which losing writes the conflict audit records (docs/design.md, "Conflicts"): every write that lost to one whose
/// writer had not received it, on the replica where the two met; none for an overwrite whose writer had provably
/// received the value it replaced. Every replica runs on one hand-set clock, so each write's time is exact.
/// </summary>
public sealed class ConflictAuditTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly ManualTime _time = new(Start);

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site, time: _time);

    /// <summary>Sets the shared clock to <paramref name="seconds"/> past the start, then runs the application's write and seals it.</summary>
    private void WriteAt(Replica r, int seconds, string value)
    {
        _time.Now = Start.AddSeconds(seconds);
        r.Exec("UPDATE settings SET value = $1 WHERE key = 'k'", value);
        r.Db.Capture(TestContext.Current.CancellationToken);
    }

    private static List<ConflictRecord> Losses(Replica r, string loserValue) =>
        r.Db.Status.GetConflicts().Where(c => Equals(c.LoserValue, loserValue)).ToList();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LossToAWriterThatOverwroteItsOwnLaterValue_IsAuditedWhereTheyMet(bool bPullsFirst)
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);

        WriteAt(b, 1, "from-b");
        WriteAt(a, 2, "a-first");
        WriteAt(a, 3, "a-second"); // overwrites a's own t=2 value, which orders after b's t=1 write: a never saw b's
        _time.Now = Start.AddSeconds(4);
        if (bPullsFirst)
        {
            b.PullFrom(a);
            a.PullFrom(b);
        }
        else
        {
            a.PullFrom(b);
            b.PullFrom(a);
        }

        Assert.Equal("a-second", a.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Equal("a-second", b.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        // b's write lost wherever it met a's: on b always; on a only when a received it before b took a's value
        // (otherwise b no longer holds it to send).
        foreach (var r in bPullsFirst ? new[] { b } : [a, b])
        {
            var loss = Assert.Single(Losses(r, "from-b"));
            Assert.Equal(("value", "lww", "a-second", "a", "b"), (loss.Column, loss.Rule, loss.WinnerValue, loss.WinnerSite, loss.LoserSite));
            Assert.Equal(Start.AddSeconds(1).ToUnixTimeMilliseconds(), loss.LoserHlc.Milliseconds);
        }

        if (bPullsFirst)
        {
            Assert.Empty(Losses(a, "from-b"));
        }

        // a's first value was overwritten by a itself: an ordinary overwrite, in no audit.
        Assert.Empty(Losses(a, "a-first"));
        Assert.Empty(Losses(b, "a-first"));
    }

    [Fact]
    public void OverwriteOfALaterValueFromTheSameOrigin_IsNotAConflict()
    {
        using var a = New("a");
        using var b = New("b");
        using var c = New("c");
        a.Exec("INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        c.PullFrom(a);

        WriteAt(b, 1, "b-first");
        _time.Now = Start.AddSeconds(2);
        c.PullFrom(b); // c holds b's first value only
        WriteAt(b, 3, "b-second");
        _time.Now = Start.AddSeconds(4);
        a.PullFrom(b);
        WriteAt(a, 5, "from-a"); // a overwrites b's second value, having received b's first with it
        _time.Now = Start.AddSeconds(6);
        c.PullFrom(a);

        Assert.Equal("from-a", c.Scalar("SELECT value FROM settings WHERE key = 'k'"));
        Assert.Empty(c.Db.Status.GetConflicts());
        Assert.Empty(a.Db.Status.GetConflicts());
    }
}
