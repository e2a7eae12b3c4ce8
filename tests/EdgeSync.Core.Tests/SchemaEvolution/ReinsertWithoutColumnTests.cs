using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>
/// Simulation seed 4841 at 120 steps: a row deleted and inserted again on a replica that does not have a column yet
/// (a re-insert: a higher causal length, which wins the whole row). A replica that saw the delete inserts the row
/// anew, so the column holds its default; one that held the row alive all along replaced it, but kept the old row's
/// value of the column the sender lacks. The two differed for good.
/// </summary>
public sealed class ReinsertWithoutColumnTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the delete and the insert in one capture: before the fix a plain update, so the old value stayed
    public void ReinsertFromAReplicaWithoutTheColumn_LeavesItsDefault_OnEveryReplicaThatHasIt(bool captureBetween)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        using var c = new Replica(_dir.File("c.db"), "c");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1)");
        b.PullFrom(a);
        c.PullFrom(a);

        c.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        c.Exec("UPDATE settings SET unit = 'mm' WHERE key = 'limit'");   // on the row b is about to delete
        b.Exec("DELETE FROM settings WHERE key = 'limit'");
        if (captureBetween)
        {
            b.Db.Capture(TestContext.Current.CancellationToken); // the delete, then the insert: a new incarnation either way
        }

        b.Exec("INSERT INTO settings VALUES ('limit', 'v2', 'b', 1)");   // b has no 'unit'
        a.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        a.PullFrom(b);   // a took the delete's successor over a row it held: the new row, unit at its default
        c.PullFrom(b);   // before the fix: c kept 'mm' from the deleted row
        a.PullFrom(c);
        c.PullFrom(a);

        Assert.Equal("v2", c.Scalar("SELECT value FROM settings WHERE key = 'limit'"));
        Assert.Equal(a.Scalar("SELECT unit FROM settings WHERE key = 'limit'"), c.Scalar("SELECT unit FROM settings WHERE key = 'limit'"));
        Assert.Equal("none", c.Scalar("SELECT unit FROM settings WHERE key = 'limit'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the delete and the insert in one capture: before the fix the kept-aside value travelled with the row
    public void ValueKeptAsideForAnEndedIncarnation_IsNotWrittenIntoTheNextOne_NorRelayed(bool captureBetween)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        using var c = new Replica(_dir.File("c.db"), "c");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1)");
        b.PullFrom(a);
        c.PullFrom(a);

        c.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        c.Exec("UPDATE settings SET unit = 'mm' WHERE key = 'limit'");
        b.PullFrom(c);   // b has no 'unit': 'mm' is kept aside for the row
        b.Exec("DELETE FROM settings WHERE key = 'limit'");
        if (captureBetween)
        {
            b.Db.Capture(TestContext.Current.CancellationToken); // the delete, then the insert: a new incarnation either way
        }

        b.Exec("INSERT INTO settings VALUES ('limit', 'v2', 'b', 1)");
        a.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        a.PullFrom(b);   // before the fix: 'mm' travelled on with the new row
        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        b.Db.Capture(TestContext.Current.CancellationToken); // before the fix: 'mm' was written into the new row
        c.PullFrom(b);
        a.PullFrom(c);
        b.PullFrom(a);

        foreach (var r in new[] { a, b, c })
        {
            Assert.Equal("v2", r.Scalar("SELECT value FROM settings WHERE key = 'limit'"));
            Assert.Equal("none", r.Scalar("SELECT unit FROM settings WHERE key = 'limit'"));
        }

        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void WriteToAnOlderIncarnation_OfAColumnTheReceiverLacks_IsNotKeptAside()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        using var c = new Replica(_dir.File("c.db"), "c");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1)");
        b.PullFrom(a);
        c.PullFrom(a);

        b.Exec("DELETE FROM settings WHERE key = 'limit'");
        b.Db.Capture(TestContext.Current.CancellationToken); // the delete, then the insert: a new incarnation
        b.Exec("INSERT INTO settings VALUES ('limit', 'v2', 'b', 1)");
        b.Db.Capture(TestContext.Current.CancellationToken); // b is at the new incarnation
        c.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        c.Exec("UPDATE settings SET unit = 'mm' WHERE key = 'limit'"); // c has not seen the delete
        b.PullFrom(c);   // the write to the old row loses; before the fix its 'unit' was kept aside anyway
        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'");
        b.Db.Capture(TestContext.Current.CancellationToken);
        c.PullFrom(b);
        b.PullFrom(c);

        Assert.Equal("none", b.Scalar("SELECT unit FROM settings WHERE key = 'limit'"));
        Assert.Equal("none", c.Scalar("SELECT unit FROM settings WHERE key = 'limit'"));
        Assert.Equal("v2", c.Scalar("SELECT value FROM settings WHERE key = 'limit'"));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
