using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Compaction;

/// <summary>
/// The agent compacts on its own schedule (issue 15, item 3): under long churn of updates, deletes and re-inserts of
/// the same keys on both replicas, the change log and tombstones it exports stay bounded, and the replicas converge.
/// </summary>
public sealed class ScheduledCompactionTests
{
    private static readonly Dictionary<string, string?> Compacting = new()
    {
        ["EdgeSync:CompactionIntervalMinutes"] = "0.005", // 0.3 s
        ["EdgeSync:IdleSyncIntervalMs"] = "500",
    };

    private const int Keys = 100;
    private const int Rounds = 48; // "a day": one round per half hour, each touching every key

    [Fact]
    public async Task DayOfChurn_WithScheduledCompaction_KeepsMetadataBounded_AndReplicasConverge()
    {
        using var dir = new TempDir();
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "churn-b", settings: Compacting);
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "churn-a", peers: [b.Url], settings: Compacting);
        var ct = TestContext.Current.CancellationToken;
        using (var app = AppDb.Open(a.DbPath))
        {
            for (int k = 0; k < Keys; k++)
            {
                AppDb.Exec(app, "INSERT INTO items(id, name, qty) VALUES ($1, 'item', 0)", Key(k));
            }
        }

        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items") == Keys, "the items to reach b");
        long loaded = Math.Max(a.Db.MeasureMetadata(TestContext.Current.CancellationToken).Bytes, b.Db.MeasureMetadata(TestContext.Current.CancellationToken).Bytes); // every key with one log entry
        long changes = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var side = round % 2 == 0 ? a : b;
            using var app = AppDb.Open(side.DbPath);
            changes += AppDb.Exec(app, "UPDATE items SET qty = qty + 1, name = $1", $"round {round}");
            for (int k = round % 5; k < Keys; k += 5)
            {
                // Keys deleted in the round before come back; others go. Re-inserts after a tombstone was compacted on
                // one side only are the case that used to diverge.
                changes += AppDb.Exec(app, "INSERT INTO items(id, name, qty) VALUES ($1, 'back', $2) ON CONFLICT(id) DO NOTHING", Key(k), round);
                changes += AppDb.Exec(app, "DELETE FROM items WHERE id = $1", Key((k + 1) % Keys));
            }

            await Task.Delay(150, ct); // pacing only: compaction and sync run between rounds
        }

        await Eventually.TrueAsync(() => a.Db.Checksum(TestContext.Current.CancellationToken) == b.Db.Checksum(TestContext.Current.CancellationToken) && AppDb.Dump(a.DbPath, "items") == AppDb.Dump(b.DbPath, "items"),
            "both replicas to hold the same items", TimeSpan.FromSeconds(60),
            () => $"a:\n{AppDb.Dump(a.DbPath, "items")}\nb:\n{AppDb.Dump(b.DbPath, "items")}");

        // Once both hold everything, a pass drops every log entry and tombstone: what is left is the live rows' clocks.
        foreach (var agent in new[] { a, b })
        {
            await Eventually.TrueAsync(async () =>
                (await agent.GaugeAsync("edgesync_metadata_log_entries", "database")).GetValueOrDefault(agent.Hosted.Name, -1) == 0
                && (await agent.GaugeAsync("edgesync_metadata_tombstones", "database")).GetValueOrDefault(agent.Hosted.Name, -1) == 0,
                $"{agent.Site}'s exported log entries and tombstones to reach 0 after {changes} changes", TimeSpan.FromSeconds(60),
                () => $"metadata now: {agent.Db.MeasureMetadata(TestContext.Current.CancellationToken)}");
            var bytes = (await agent.GaugeAsync("edgesync_metadata_bytes", "database"))[agent.Hosted.Name];
            Assert.True(bytes <= loaded, $"{agent.Site} holds {bytes} metadata bytes after {changes} changes, more than the {loaded} right after loading");
        }

        Assert.Equal(AppDb.Dump(a.DbPath, "items"), AppDb.Dump(b.DbPath, "items"));
    }

    private static string Key(int k) => $"k{k:D3}";
}
