using System.Diagnostics.Metrics;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Two agents hosting the same N databases, each the other's peer (two replicas of a StatefulSet): one conversation per
/// peer carries every database, so a write into any of them syncs and the calls a peer holds open do not grow with N.
/// </summary>
public sealed class ManyDatabasesTests
{
    private static readonly int RoundsPerPeer = new AgentOptions().MaxRoundsPerPeer;

    private static List<string> Paths(TempDir dir, string replica, int count) =>
        Enumerable.Range(0, count).Select(i =>
        {
            string folder = Path.Combine(dir.Path, replica);
            Directory.CreateDirectory(folder);
            return Path.Combine(folder, $"db{i:D3}.db");
        }).ToList();

    private static async Task<(TestAgent A, TestAgent B)> StartPairAsync(TempDir dir, int databases, IDictionary<string, string?>? settings = null)
    {
        string urlA = TestAgent.DeadUrl(), urlB = TestAgent.DeadUrl();
        var pathsA = Paths(dir, "a", databases);
        var pathsB = Paths(dir, "b", databases);
        string[] record = ["edgesync_streams_refused", "edgesync_sync_rounds"];
        var a = await TestAgent.StartAsync(pathsA[0], "many-a", peers: [urlB], listen: urlA, databases: pathsA, record: record, settings: settings);
        var b = await TestAgent.StartAsync(pathsB[0], "many-b", peers: [urlA], listen: urlB, databases: pathsB, record: record, settings: settings);
        return (a, b);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public async Task SameDatabasesOnTwoPeers_WritesIntoEveryDatabaseSync_WithCallsPerPeerIndependentOfTheirNumber(int databases)
    {
        using var dir = new TempDir();
        var (a, b) = await StartPairAsync(dir, databases);
        await using var _a = a;
        await using var _b = b;
        var pathsA = a.Registry.All.Select(d => d.Db.Path).ToList();
        var pathsB = b.Registry.All.Select(d => d.Db.Path).ToList();

        // A row in every database on a, and in every other database on b too.
        for (int i = 0; i < databases; i++)
        {
            AppDb.Exec(pathsA[i], "INSERT INTO items(id, name, qty) VALUES ($1, $2, $3)", $"a-{i}", "from a", i);
            if (i % 2 == 0)
            {
                AppDb.Exec(pathsB[i], "INSERT INTO items(id, name, qty) VALUES ($1, $2, $3)", $"b-{i}", "from b", i);
            }
        }

        // Sample the calls each side holds open on the other while the writes sync.
        double most = 0;
        async Task SampleAsync()
        {
            var onA = await a.GaugeAsync("edgesync_peer_calls_open", "peer");
            var onB = await b.GaugeAsync("edgesync_peer_calls_open", "peer");
            most = Math.Max(most, Math.Max(onA.GetValueOrDefault(b.Site), onB.GetValueOrDefault(a.Site)));
        }

        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                await SampleAsync();
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);

        bool Synced(int i) =>
            AppDb.Count(pathsB[i], "items", $"id = 'a-{i}'") == 1 && (i % 2 != 0 || AppDb.Count(pathsA[i], "items", $"id = 'b-{i}'") == 1);
        await Eventually.TrueAsync(() => Enumerable.Range(0, databases).All(Synced),
            $"every write reached the peer in all {databases} databases",
            timeout: TimeSpan.FromSeconds(60),
            diagnostics: () => $"not synced: {string.Join(",", Enumerable.Range(0, databases).Where(i => !Synced(i)).Take(20))}; "
                + $"refused on a: {a.Metric("edgesync_streams_refused").Dump()}, on b: {b.Metric("edgesync_streams_refused").Dump()}");
        await sampling.CancelAsync();
        await sampler;
        // The conversations stay open: at least one call each way (sampled until seen: with one database the writes
        // can sync before the sampler's first reading of the gauge).
        await Eventually.TrueAsync(async () => { await SampleAsync(); return most >= 1; }, "a conversation is open between the peers");

        // Nothing refused under the default MaxStreamsPerPeer, and never more than the conversation and the rounds.
        Assert.Equal(0, a.Metric("edgesync_streams_refused").Sum(a.Site) + b.Metric("edgesync_streams_refused").Sum(b.Site));
        Assert.InRange(most, 1, 1 + RoundsPerPeer);
        for (int i = 0; i < databases; i++)
        {
            Assert.Equal(a.Registry.All[i].Db.Checksum(TestContext.Current.CancellationToken), b.Registry.All[i].Db.Checksum(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task AWriteIntoOneDatabase_RunsAnExchangeForThatDatabaseOnly()
    {
        using var dir = new TempDir();
        var (a, b) = await StartPairAsync(dir, 20);
        await using var _a = a;
        await using var _b = b;
        var rounds = a.Metric("edgesync_sync_rounds");
        var names = a.Registry.All.Select(d => d.Name).ToList();

        // The conversation compares every database when it opens (equal vectors: a round that moved nothing).
        await Eventually.TrueAsync(() => names.All(n => rounds.SumWith($"database={n}", $"site={a.Site}", "result=ok") >= 1),
            "a compared every database with b once", diagnostics: rounds.Dump);
        await Task.Delay(300, TestContext.Current.CancellationToken);

        // From now on, every pull or push a's rounds make is timed, tagged by database.
        using var exchanges = new MetricCollector<double>(a.Services.GetRequiredService<IMeterFactory>(), EdgeSyncMetrics.MeterName,
            "edgesync_sync_round_duration_seconds");
        string target = a.Registry.All[7].Db.Path;
        AppDb.Exec(target, "INSERT INTO items(id, name) VALUES ('only-7', 'x')");
        await Eventually.TrueAsync(() => AppDb.Count(b.Registry.All[7].Db.Path, "items", "id = 'only-7'") == 1, "the row reached b's db007");
        await Task.Delay(1_000, TestContext.Current.CancellationToken); // room for any stray exchange to show up

        var databases = exchanges.GetMeasurementSnapshot().Select(m => (string)m.Tags["database"]!).Distinct().ToList();
        Assert.Equal([names[7]], databases);
    }

    [Fact]
    public async Task IdleLinks_KeepComparingEveryDatabase_WithoutWritingToAnyOfThem_AndAChangeIsMarkedAtOnce()
    {
        using var dir = new TempDir();
        const int Databases = 5;
        var settings = new Dictionary<string, string?> { ["EdgeSync:SyncIntervalMs"] = "100", ["EdgeSync:IdleSyncIntervalMs"] = "200" };
        var (a, b) = await StartPairAsync(dir, Databases, settings);
        await using var _a = a;
        await using var _b = b;
        var rounds = a.Metric("edgesync_sync_rounds");

        // Each link's first confirmation is written to cluster_sync (what `edgesync status` shows).
        await Eventually.TrueAsync(() => Enumerable.Range(0, Databases).All(i => LastSync(a, i, b.Site) > 0 && LastSync(b, i, a.Site) > 0),
            "every database shows a last sync with the peer on both sides");
        await Task.Delay(500, TestContext.Current.CancellationToken); // the first rounds' own bookkeeping settles

        // Then idle: full lists every 200 ms confirm every database, and nothing is committed to any file.
        var watchers = a.Registry.All.Concat(b.Registry.All).Select(d => AppDb.Open(d.Db.Path)).ToList();
        try
        {
            var versions = watchers.Select(DataVersion).ToList();
            var marked = Enumerable.Range(0, Databases).Select(i => LastSync(b, i, a.Site)).ToList();
            double confirmed = rounds.SumWith("result=ok");
            await Task.Delay(2_500, TestContext.Current.CancellationToken);

            Assert.True(rounds.SumWith("result=ok") >= confirmed + (3 * Databases),
                $"a kept confirming every database with b while idle: {rounds.Dump()}");
            for (int i = 0; i < watchers.Count; i++)
            {
                Assert.True(DataVersion(watchers[i]) == versions[i], $"no commit to {watchers[i].DataSource} while idle (PRAGMA data_version moved)");
            }

            // A change moves data: the receiving side writes its last sync with the sender at once.
            AppDb.Exec(a.Registry.All[2].Db.Path, "INSERT INTO items(id, name) VALUES ('idle-end', 'x')");
            await Eventually.TrueAsync(() => AppDb.Count(b.Registry.All[2].Db.Path, "items", "id = 'idle-end'") == 1, "the row reached b");
            await Eventually.TrueAsync(() => LastSync(b, 2, a.Site) > marked[2], "b's last sync with a for that database moved with the change");
            Assert.Equal(marked[3], LastSync(b, 3, a.Site)); // an untouched database's stays put
        }
        finally
        {
            watchers.ForEach(c => c.Dispose());
        }
    }

    private static long LastSync(TestAgent agent, int database, string peer) =>
        agent.Registry.All[database].Db.Status.GetSyncStatus().Where(e => e.ClusterId == peer).Select(e => e.LastSyncTime).DefaultIfEmpty(0).Max();

    private static long DataVersion(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA data_version";
        return (long)cmd.ExecuteScalar()!;
    }
}
