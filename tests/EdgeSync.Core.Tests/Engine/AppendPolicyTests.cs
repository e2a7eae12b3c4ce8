using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

public sealed class AppendPolicyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("UPDATE readings SET value = 0 WHERE id = 1", "UPDATE")]
    [InlineData("DELETE FROM readings WHERE id = 1", "DELETE")]
    public void AppendTable_UpdateOrDelete_FailsWithAClearError_AndChangesNothing(string sql, string op)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var e = Assert.Throws<SqliteException>(() => a.Exec(sql));
        Assert.Contains($"table 'readings' is append-only: {op} is not allowed", e.Message, StringComparison.Ordinal);
        Assert.Equal(1.0, a.Scalar("SELECT value FROM readings WHERE id = 1"));
    }

    [Fact]
    public void AppendTable_IdsBelowRowsFromOtherSites_AreStillCaptured()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        b.Exec("INSERT INTO readings VALUES (2000001, 'b', 1, 1.0)");
        a.Exec("INSERT INTO readings VALUES (1000001, 'a', 1, 1.0)");
        a.PullFrom(b);
        a.Exec("INSERT INTO readings VALUES (1000002, 'a', 2, 2.0)"); // below b's row: not past the watermark
        b.PullFrom(a);
        Assert.Equal(3L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(), b.Db.Checksum());
    }
}
