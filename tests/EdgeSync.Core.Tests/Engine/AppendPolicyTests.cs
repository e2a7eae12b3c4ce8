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
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void AppendTable_InsertBelowTheLocalFrontier_IsFoundByTheAudit()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO readings VALUES (10, 'd', 1, 1.0), (20, 'd', 2, 2.0)");
        b.PullFrom(a);
        a.Exec("INSERT INTO readings VALUES (5, 'late', 0, 0.5)");   // below every captured row
        a.Exec("INSERT INTO readings VALUES (15, 'inside', 0, 1.5)"); // inside the captured range [10, 20]
        Assert.Equal(2, a.Db.AuditAppendTables(TestContext.Current.CancellationToken));
        Assert.Equal(0, a.Db.AuditAppendTables(TestContext.Current.CancellationToken));
        b.PullFrom(a);
        Assert.Equal(4L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Empty(b.Db.Status.GetConflicts());
    }

    [Fact]
    public void AppendTable_ManySitesWithInterleavedIds_AllRowsReachEveryone()
    {
        var sites = Enumerable.Range(0, 4).Select(i => new Replica(_dir.File($"s{i}.db"), $"s{i}")).ToList();
        try
        {
            for (int round = 0; round < 5; round++)
            {
                for (int i = 0; i < sites.Count; i++)
                {
                    long id = (i + 1) * 1_000_000L + round;
                    sites[i].Exec("INSERT INTO readings VALUES ($1, 'd', $2, 1.0)", id, round);
                    foreach (var other in sites.Where(o => o != sites[i]))
                    {
                        other.PullFrom(sites[i]);
                    }
                }
            }

            Assert.All(sites, s => Assert.Equal(20L, s.Scalar("SELECT count(*) FROM readings")));
            Assert.Single(sites.Select(s => s.Db.Checksum(TestContext.Current.CancellationToken)).Distinct());
            // Every row was found by the scan itself, none needed the audit.
            Assert.All(sites, s => Assert.Equal(0, s.Db.AuditAppendTables(TestContext.Current.CancellationToken)));
        }
        finally
        {
            sites.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void AppendTable_LocalRowInsideTheSpanOfARangeFromAPeer_IsFoundByTheAudit_AndReachesEveryPeer()
    {
        // Seeds 5785, 2200, 2666 at 120 steps: a range's rows need not be contiguous (a's rows 100 and 300 sealed
        // together span 100..300). b received it, then its application wrote 200: the row read as part of a's range,
        // the scan skipped it (inside a remote run) and the audit left it to that range, so no peer ever got it.
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        using var c = new Replica(_dir.File("c.db"), "c");
        a.Exec("INSERT INTO readings VALUES (100, 'a', 1, 1.0), (300, 'a', 2, 3.0)");
        b.PullFrom(a);
        b.Exec("INSERT INTO readings VALUES (200, 'b', 1, 2.0)");

        Assert.Equal(1, b.Db.AuditAppendTables(TestContext.Current.CancellationToken));
        Assert.Equal(0, b.Db.AuditAppendTables(TestContext.Current.CancellationToken));
        c.PullFrom(b);
        a.PullFrom(b);
        c.PullFrom(a);

        foreach (var r in new[] { a, b, c })
        {
            Assert.Equal([100L, 200L, 300L], r.Rows("SELECT id FROM readings ORDER BY id").Select(x => (long)x[0]!));
        }

        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
