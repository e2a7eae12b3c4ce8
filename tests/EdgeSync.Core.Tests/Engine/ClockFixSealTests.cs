using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// What the application wrote just before a clock that ran ahead was set right, sealed by the first capture after the
/// fix (simulation seed 5128 at 120 steps): the seal runs with the clock set back, while other columns of the same row
/// still hold clocks in the future, until the re-stamp that follows brings them down.
/// </summary>
public sealed class ClockFixSealTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WritesPendingAtAnUncleanRestartWithTheClockFixed_AllReachThePeer()
    {
        using var a = new Replica(_dir.File("a.db"), "a", time: new ManualTime(Now.AddHours(2)));
        using var b = new Replica(_dir.File("b.db"), "b", time: new ManualTime(Now));
        a.Exec("INSERT INTO settings VALUES ('mode', 'v1', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);

        // Written, not yet captured, when the process dies; it restarts with the clock set right.
        a.Exec("UPDATE settings SET owner = 'ops' WHERE key = 'mode'");
        a.Exec("INSERT INTO settings VALUES ('unit', 'mm', 'a', 1)");
        a.Exec("INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('writer_session', 'killed')");
        a.Reopen(new ManualTime(Now.AddSeconds(1)));
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal("ops", b.Scalar("SELECT owner FROM settings WHERE key = 'mode'"));
        Assert.Equal("mm", b.Scalar("SELECT value FROM settings WHERE key = 'unit'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.True(a.Db.Vector.Dominates(b.Db.Vector) && b.Db.Vector.Dominates(a.Db.Vector), $"{a.Db.Vector} vs {b.Db.Vector}");
    }
}
