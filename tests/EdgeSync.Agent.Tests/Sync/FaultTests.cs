using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

public sealed class FaultTests
{
    [Fact]
    public async Task DeadPeer_DoesNotBlockOthers_AndAStoppedReplicaCatchesUpWhenBack()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "fault-a");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "fault-b", peers: [TestAgent.DeadUrl(), a.Url]);
        var c = await TestAgent.StartAsync(dir.Db("c"), "fault-c", peers: [a.Url]);
        string cPath = c.DbPath;
        try
        {
            AppDb.Exec(b.DbPath, "INSERT INTO items(id, name) VALUES ('b-1', 'while a peer is dead')");
            await Eventually.TrueAsync(() => AppDb.Count(a.DbPath, "items") == 1 && AppDb.Count(cPath, "items") == 1,
                "b's row reaches a and (through a) c although b's other peer is dead");

            await c.StopAsync();
            AppDb.InsertReadings(a.DbPath, 1, 200, "a");
            AppDb.Exec(b.DbPath, "INSERT INTO items(id, name) VALUES ('b-2', 'while c is down')");
            AppDb.Exec(cPath, "INSERT INTO items(id, name) VALUES ('c-1', 'written while c''s agent was down')");
            await Eventually.TrueAsync(() => AppDb.Count(a.DbPath, "items") == 2 && AppDb.Count(b.DbPath, "readings") == 200,
                "a and b keep syncing while c is down");
        }
        finally
        {
            await c.DisposeAsync();
        }

        await using var back = await TestAgent.StartAsync(cPath, "fault-c", peers: [a.Url]);
        TestAgent[] all = [a, b, back];
        await Eventually.TrueAsync(
            () => all.All(r => AppDb.Count(r.DbPath, "items") == 3 && AppDb.Count(r.DbPath, "readings") == 200)
                && all.Select(r => r.Db.Checksum()).Distinct().Count() == 1,
            "c catches up when back, and its offline write reaches a and b");
    }

    [Fact]
    public async Task AgentStoppedMidStream_AndRestarted_ResumesWithNoLossAndNoDuplicates()
    {
        const int Total = 60_000;
        using var dir = new TempDir();
        var small = new Dictionary<string, string?> { ["EdgeSync:MaxBatchRows"] = "100" };
        string aPath = dir.Db("a");
        AppDb.Create(aPath);
        AppDb.InsertReadings(aPath, 1, Total, "a");
        await using var a = await TestAgent.StartAsync(aPath, "resume-a", settings: small);

        string bPath = dir.Db("b");
        var b = await TestAgent.StartAsync(bPath, "resume-b", peers: [a.Url], settings: small);
        long atStop;
        try
        {
            await Eventually.TrueAsync(() => AppDb.Count(bPath, "readings") > 0, "b starts receiving batches");
        }
        finally
        {
            await b.DisposeAsync();
            atStop = AppDb.Count(bPath, "readings");
        }

        Assert.InRange(atStop, 1, Total - 1);

        await using var restarted = await TestAgent.StartAsync(bPath, "resume-b", peers: [a.Url], settings: small);
        await Eventually.TrueAsync(() => AppDb.Count(bPath, "readings") == Total, $"b resumes from {atStop} rows to all {Total}", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => restarted.Db.Checksum() == a.Db.Checksum(), "checksums equal");
        Assert.Equal(Total, AppDb.Count(bPath, "readings"));
        Assert.Equal((long)Total, AppDb.Scalar(bPath, "SELECT count(DISTINCT id) FROM readings"));
        Assert.Equal(a.Db.Vector[a.Site], restarted.Db.Vector[a.Site]);
    }
}
