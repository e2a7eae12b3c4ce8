using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// An application holding a long write transaction on one database must not stall the other databases an agent syncs
/// with the same peer: their announcements share one conversation, and its reading loop used to wait for the busy
/// database's write lock (to record the peer's vector) at every announcement of it.
/// </summary>
public sealed class BusyDatabaseTests
{
    [Fact]
    public async Task OneDatabaseWriteLockedByTheApplication_AnotherDatabaseStillSyncs_AndThePeersVectorIsRecordedOnceFree()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        string Path(string replica, int i)
        {
            string folder = System.IO.Path.Combine(dir.Path, replica);
            Directory.CreateDirectory(folder);
            return System.IO.Path.Combine(folder, $"db{i}.db");
        }

        string urlB = TestAgent.DeadUrl();
        // Only a dials b: what b writes reaches a only through b's announcements on that one conversation.
        await using var b = await TestAgent.StartAsync(Path("b", 0), "busy-b", listen: urlB, databases: [Path("b", 0), Path("b", 1)]);
        await using var a = await TestAgent.StartAsync(Path("a", 0), "busy-a", peers: [urlB], databases: [Path("a", 0), Path("a", 1)]);
        string a0 = Path("a", 0), a1 = Path("a", 1), b0 = Path("b", 0), b1 = Path("b", 1);

        AppDb.Exec(b0, "INSERT INTO items(id, name, qty) VALUES ('warm', 'b', 0)");
        AppDb.Exec(b1, "INSERT INTO items(id, name, qty) VALUES ('warm', 'b', 0)");
        await Eventually.TrueAsync(() => AppDb.Count(a0, "items") == 1 && AppDb.Count(a1, "items") == 1, "both databases synced once");

        // The application on a takes db0's write lock and keeps it, while b keeps writing into db0 (each write is an
        // announcement a must take in) and then writes once into db1.
        using var app = AppDb.Open(a0);
        AppDb.Exec(app, "BEGIN IMMEDIATE");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int written = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                AppDb.Exec(b0, "INSERT INTO items(id, name, qty) VALUES ($1, 'b', 0)", $"b0-{written}");
                written++;
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);
        try
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref written) >= 10, "b wrote into db0 ten times");
            AppDb.Exec(b1, "INSERT INTO items(id, name, qty) VALUES ('after', 'b', 1)");

            // A liveness bound, not a latency figure: before, each announcement of db0 held the conversation for the
            // write lock's whole busy timeout (10 s), so db1's waited behind every one queued before it.
            await Eventually.TrueAsync(() => AppDb.Count(a1, "items", "id = 'after'") == 1,
                "db1's write reached a while the application held db0's write lock", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
            AppDb.Exec(app, "ROLLBACK");
        }

        // Once the lock is free, db0 catches up and a has recorded all b holds of it (what compaction waits for).
        string bSite = b.Registry.All.Single(d => d.Db.Path == b0).Site;
        long bHolds = b.Registry.All.Single(d => d.Db.Path == b0).Db.Vector[bSite];
        await Eventually.TrueAsync(() => AppDb.Count(a0, "items") == AppDb.Count(b0, "items"), "db0 caught up on a");
        await Eventually.TrueAsync(
            () => AppDb.Scalar(a0, "SELECT MAX(seq) FROM _edgesync_peers WHERE site = $1", bSite) is long seq && seq >= bHolds,
            "a recorded b's vector of db0");
    }
}
