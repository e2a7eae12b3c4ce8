using EdgeSync.Merge;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Whole-row losses in the conflict audit (docs/design.md, "Conflicts"): a write to an incarnation that a delete
/// ended is a conflict unless the delete's writer had seen it. Found by the simulation's whole-row ground truth
/// (tests/EdgeSync.Simulation/LossAudit.WholeRow.cs; peer seeds 44, 61, 75, 128 and 140 at 120 steps). The old rule
/// judged "seen" by the HLC order of the delete's <c>prev</c>, which a delete names after its writer's own newer write,
/// or stamped by a clock that ran ahead, and a write to a column this replica lacks was not looked at.
/// </summary>
public sealed class WholeRowAuditTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly ManualTime _time = new(Start);

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site, time: _time);

    private void At(int seconds, Replica r, string sql)
    {
        _time.Now = Start.AddSeconds(seconds);
        r.Exec(sql);
        r.Db.Capture(TestContext.Current.CancellationToken);
    }

    private static ConflictRecord? RowLoss(Replica r, string loserSite) =>
        r.Db.Status.GetConflicts().SingleOrDefault(c => c.Column is null && c.LoserSite == loserSite);

    [Fact]
    public void DeleteAfterTheDeletersOwnNewerWrite_OfAWriteItNeverReceived_IsAuditedWhereTheyMeet()
    {
        using var a = New("a");
        using var b = New("b");
        At(0, a, "INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);

        At(1, b, "UPDATE settings SET value = 'from-b' WHERE key = 'k'");
        At(2, a, "UPDATE settings SET owner = 'a2' WHERE key = 'k'");
        At(3, a, "DELETE FROM settings WHERE key = 'k'"); // names a's own t=2 write, which orders after b's: a never saw b's
        _time.Now = Start.AddSeconds(4);
        a.PullFrom(b);
        b.PullFrom(a);

        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM settings"));
        foreach (var r in new[] { a, b })
        {
            var loss = RowLoss(r, "b");
            Assert.NotNull(loss);
            Assert.Equal(("delete-wins", "a", Start.AddSeconds(1).ToUnixTimeMilliseconds()), (loss.Rule, loss.WinnerSite, loss.LoserHlc.Milliseconds));
        }
    }

    [Fact]
    public void DeleteOfTheValueItSaw_IsNotAConflict()
    {
        using var a = New("a");
        using var b = New("b");
        At(0, a, "INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        At(1, b, "UPDATE settings SET value = 'from-b' WHERE key = 'k'");
        a.PullFrom(b);
        At(2, a, "DELETE FROM settings WHERE key = 'k'");
        b.PullFrom(a);

        Assert.Empty(a.Db.Status.GetConflicts());
        Assert.Empty(b.Db.Status.GetConflicts());
    }

    [Fact]
    public void DeleteStampedByAClockThatRanAhead_OfALaterWriteItNeverReceived_IsAudited()
    {
        using var a = New("a");
        using var b = New("b");
        At(0, a, "INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);

        At(3600, a, "UPDATE settings SET owner = 'ahead' WHERE key = 'k'"); // a's clock an hour ahead
        At(3601, a, "DELETE FROM settings WHERE key = 'k'");
        At(10, b, "UPDATE settings SET value = 'from-b' WHERE key = 'k'"); // the right time, after a's delete in real time
        a.PullFrom(b);

        var loss = RowLoss(a, "b");
        Assert.NotNull(loss);
        Assert.Equal("delete-wins", loss.Rule);
    }

    [Fact]
    public void WriteToAColumnTheDeleterLacks_IsAuditedByTheDeleterWhenItArrives()
    {
        using var a = New("a");
        using var b = New("b");
        At(0, a, "INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);

        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        At(1, b, "UPDATE settings SET unit = 'kg' WHERE key = 'k'"); // a has no 'unit'
        At(2, a, "DELETE FROM settings WHERE key = 'k'");
        _time.Now = Start.AddSeconds(3);
        a.PullFrom(b); // b's row: a's insert in the columns a has, b's write in the one it lacks

        var loss = RowLoss(a, "b");
        Assert.NotNull(loss);
        Assert.Equal(("delete-wins", Start.AddSeconds(1).ToUnixTimeMilliseconds()), (loss.Rule, loss.LoserHlc.Milliseconds));
    }

    [Fact]
    public void WriteKeptAsideForAColumnThisReplicaLacks_IsAuditedWhenADeleteEndsItsRow()
    {
        using var a = New("a");
        using var b = New("b");
        using var c = New("c");
        At(0, a, "INSERT INTO settings VALUES ('k', 'v0', 'a', 1)");
        b.PullFrom(a);
        c.PullFrom(a);

        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        At(1, b, "UPDATE settings SET unit = 'kg' WHERE key = 'k'");
        a.PullFrom(b); // a has no 'unit': b's write is kept aside for the row
        At(2, c, "DELETE FROM settings WHERE key = 'k'"); // c never received b's write
        _time.Now = Start.AddSeconds(3);
        a.PullFrom(c);

        var loss = RowLoss(a, "b");
        Assert.NotNull(loss);
        Assert.Equal(("delete-wins", Start.AddSeconds(1).ToUnixTimeMilliseconds()), (loss.Rule, loss.LoserHlc.Milliseconds));
    }
}
