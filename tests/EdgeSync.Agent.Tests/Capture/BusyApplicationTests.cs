using EdgeSync.Agent.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Agent.Tests.Capture;

/// <summary>
/// An application that keeps the write lock nearly all the time (transaction after transaction, a millisecond apart)
/// leaves the agent's capture loop only the gaps between its transactions: the loop tries again and again without
/// blocking a thread, and every row still reaches the peer, in order, with both replicas equal.
/// </summary>
public sealed class BusyApplicationTests
{
    private const int Transactions = 200;
    private const int RowsPerTransaction = 250;

    [Fact]
    public async Task AnApplicationHoldingTheWriteLockAlmostAlways_EveryRowReachesThePeer()
    {
        using var dir = new TempDir();
        var both = new Dictionary<string, string?> { ["EdgeSync:Tables:readings:Direction"] = "both" };
        await using var a = await TestAgent.StartAsync(dir.Db("busy-a"), "busy-a", settings: both);
        await using var b = await TestAgent.StartAsync(dir.Db("busy-b"), "busy-b", peers: [a.Url], settings: both);

        var writer = Task.Run(() => Write(a.DbPath), TestContext.Current.CancellationToken);
        var sealedMeanwhile = new List<long>();
        while (!writer.IsCompleted)
        {
            sealedMeanwhile.Add(a.Db.Vector["busy-a"]); // what the capture loop sealed between the application's transactions
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await writer;
        const long total = (long)Transactions * RowsPerTransaction;
        await Eventually.TrueAsync(() => Count(b.DbPath) == total, $"b holds all {total} rows",
            diagnostics: () => $"b holds {Count(b.DbPath)}, a sealed {a.Db.Vector["busy-a"]}");

        Assert.Equal(total, MaxId(b.DbPath)); // no gap: the highest id arrived with everything below it
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(sealedMeanwhile.Order(), sealedMeanwhile); // sealed numbers only grow
    }

    private static void Write(string path)
    {
        using var c = AppDb.Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO readings(id, device, ts, value) VALUES ($id, 'dev', $id, $id * 0.5)";
        var id = cmd.Parameters.Add("$id", SqliteType.Integer);
        long next = 0;
        for (int k = 0; k < Transactions; k++)
        {
            using var tx = c.BeginTransaction();
            cmd.Transaction = tx;
            for (int i = 0; i < RowsPerTransaction; i++)
            {
                id.Value = ++next;
                cmd.ExecuteNonQuery();
            }

            tx.Commit();
            Thread.Sleep(1);
        }
    }

    private static long Count(string path)
    {
        using var c = AppDb.Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM readings";
        return (long)cmd.ExecuteScalar()!;
    }

    private static long MaxId(string path)
    {
        using var c = AppDb.Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT max(id) FROM readings";
        return (long)cmd.ExecuteScalar()!;
    }
}
