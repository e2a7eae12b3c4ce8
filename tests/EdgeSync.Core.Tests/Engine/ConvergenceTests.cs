using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

public sealed class ConvergenceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TwoReplicas_InsertsUpdatesDeletes_Converge()
    {
        using var a = new Replica(_dir.File("a.db"), "site-a");
        using var b = new Replica(_dir.File("b.db"), "site-b");
        for (int i = 1; i <= 50; i++)
        {
            a.Exec("INSERT INTO readings(id, device, ts, value) VALUES ($1, 'd1', $2, 1.5)", i, i * 10);
            b.Exec("INSERT INTO readings(id, device, ts, value) VALUES ($1, 'd2', $2, 2.5)", 1000 + i, i * 10);
        }

        a.Exec("INSERT INTO settings VALUES ('mode', 'auto', 'a', 1), ('speed', '10', 'a', 1)");
        b.Exec("INSERT INTO items VALUES ('t1', 1, 'bolt', 5), ('t1', 2, 'nut', 7)");
        b.PullFrom(a);
        a.PullFrom(b);
        b.Exec("UPDATE settings SET value = 'manual' WHERE key = 'mode'");
        a.Exec("DELETE FROM settings WHERE key = 'speed'");
        a.Exec("UPDATE items SET qty = 6 WHERE tenant = 't1' AND code = 1");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal(100L, a.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal("manual", a.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Null(b.Scalar("SELECT value FROM settings WHERE key = 'speed'"));
        Assert.Equal(6L, b.Scalar("SELECT qty FROM items WHERE tenant = 't1' AND code = 1"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
