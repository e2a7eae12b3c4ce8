using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Verify;

/// <summary>
/// Anti-entropy repair (<see cref="SyncDatabase.ReofferDifferences"/>): the rows a content comparison names are issued
/// again on both sides, and one exchange each way makes the replicas identical; what it cannot repair is named.
/// </summary>
public sealed class RepairTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static bool Identical(Replica a, Replica b) => a.Db.CompareContent(b.Db, "a", "b", cancellationToken: Ct).Identical;

    private static void Repair(Replica a, Replica b)
    {
        var result = a.Db.ReofferDifferences(b.Db, Ct);
        Assert.Empty(result.NotRepairable);
        Assert.True(result.ReofferedHere + result.ReofferedThere > 0);
        a.PullFrom(b);
        b.PullFrom(a);
    }

    [Fact]
    public void CleanCopyPutBack_ThenWrittenOnBothSides_IsRepaired_BothSidesKeepTheirRows()
    {
        string path = _dir.File("a.db");
        using var b = new Replica(_dir.File("b.db"), "b");
        using (var a0 = new Replica(path, "a"))
        {
            a0.Exec("INSERT INTO settings VALUES ('k0', 'v', 'a', 1)");
            b.PullFrom(a0);
        }

        File.Copy(path, path + ".copy");
        using (var a1 = new Replica(path, "a"))
        {
            a1.Exec("INSERT INTO settings VALUES ('lost', 'v', 'a', 1)");
            b.PullFrom(a1);
        }

        File.Copy(path + ".copy", path, overwrite: true); // a clean copy put back: the next write reuses 'lost''s number
        File.Delete(path + "-wal");
        using var a = new Replica(path, "a");
        a.Exec("INSERT INTO settings VALUES ('reused', 'v', 'a', 1)");
        a.Db.Capture(Ct); // sealed before it meets b: it reuses the number b holds for 'lost'
        b.PullFrom(a);
        a.PullFrom(b);
        Assert.False(Identical(a, b));

        Repair(a, b);

        Assert.True(Identical(a, b));
        Assert.Equal(3L, a.Scalar("SELECT count(*) FROM settings"));
    }

    [Fact]
    public void ValueChangedBehindEdgeSyncsBack_IsRepaired_AndLaterWritesStillSync()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO items VALUES ('t', 1, 'x', 1), ('t', 2, 'y', 2)");
        b.PullFrom(a);
        b.Exec("INSERT INTO _edgesync_ctx VALUES (1)"); // what EdgeSync's apply does: capture triggers stand aside
        b.Exec("UPDATE items SET qty = 99 WHERE code = 1; DELETE FROM items WHERE code = 2");
        b.Exec("DELETE FROM _edgesync_ctx");
        b.PullFrom(a);
        Assert.False(Identical(a, b));

        Repair(a, b);

        Assert.True(Identical(a, b));
        Assert.Equal(0L, a.Scalar("SELECT count(*) FROM items WHERE code = 2")); // the uncaptured delete is captured now, and wins
        a.Exec("UPDATE items SET name = 'later' WHERE code = 1");
        b.PullFrom(a);
        Assert.Equal("later", b.Scalar("SELECT name FROM items WHERE code = 1"));
        Assert.True(Identical(a, b));
    }

    [Fact]
    public void SchemaDifference_IsNotRepaired_AndIsNamed()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        b.PullFrom(a);
        b.Exec("ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'mm'");

        var result = a.Db.ReofferDifferences(b.Db, Ct);

        Assert.Equal(0, result.ReofferedHere + result.ReofferedThere);
        Assert.Contains(result.NotRepairable, l => l.StartsWith("table settings: its schema differs", StringComparison.Ordinal));
    }
}
