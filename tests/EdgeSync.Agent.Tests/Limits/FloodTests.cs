using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeSync.Agent.Tests.Support;
using Grpc.Core;

namespace EdgeSync.Agent.Tests.Limits;

/// <summary>
/// One peer floods a hub with pushes of large valid batches (as many concurrent streams as it may open) and with ingest
/// requests, while a factory runs its ordinary sync rounds with the same hub. The factory's changes must keep reaching
/// the hub, and the hub's reaching the factory, within a bound, and everything must converge.
/// </summary>
public sealed class FloodTests
{
    /// <summary>
    /// The bound on one change's trip between the factory and the hub while the flood runs. Unloaded it is about
    /// 0.3 s (the sync interval); measured under this flood on a 2-core machine: see docs/guarantees.md. Generous for
    /// a noisy CI machine, but a starved peer (no turn until the flood ends) fails it.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan FloodFor = TimeSpan.FromSeconds(12);

    [Fact]
    public Task AFloodFromOnePeer_DoesNotStarveAnotherPeersSyncRounds() => RunFloodAsync(checkFloodRows: false);

    /// <summary>
    /// Found while writing the flood test, not fixed here: under this flood (concurrent pushes of new append rows plus
    /// large ingest transactions on the same hub) the hub's vector reaches the flooder's last sequence number while some
    /// of its batches' rows are missing (seen: 4,000 to 18,000 of 64,000 rows, in 4 runs of 5), so they are never
    /// re-sent. The engine alone applying the same batches concurrently does not lose them (with or without the push
    /// gate the agent does). Remove Skip to reproduce.
    /// </summary>
    [Fact(Skip = "reproduces a pre-existing loss of pushed append rows under a flood; see the report of branch sec-hardening")]
    public Task AFlood_EveryRowTheHubsVectorClaims_IsOnTheHub() => RunFloodAsync(checkFloodRows: true);

    private static async Task RunFloodAsync(bool checkFloodRows)
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var hub = await TestAgent.StartAsync(dir.Db("hub"), "flood-hub", role: AgentRole.Hub);
        await using var factory = await TestAgent.StartAsync(dir.Db("factory"), "flood-f1/0", hub: hub.Url);
        using var flooder = new RawPeer(hub.Url, "flood-x/0", dir.Db("flooder"));
        var batches = RawPeer.AppendBatches("flood-x/0", firstId: 1_000_000_000, count: 32, rows: 2_000);
        int streams = new AgentOptions().MaxStreamsPerPeer;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long pushes = 0, refusedPushes = 0, ingests = 0;
        var pushers = Enumerable.Range(0, streams + 2).Select(s => Task.Run(async () =>
        {
            for (int round = 0; !stop.IsCancellationRequested; round++)
            {
                try
                {
                    await flooder.PushAsync(batches.Where((_, i) => i % streams == (s + round) % streams), TimeSpan.FromSeconds(60), stop.Token);
                    Interlocked.Increment(ref pushes);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref refusedPushes); // the two streams past the limit
                    await Task.Delay(50, CancellationToken.None);
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        }, ct)).ToList();
        var ingest = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string rows = "[" + string.Join(",", Enumerable.Range(0, 2_000).Select(r => $"{{\"id\":\"x{i}-{r}\",\"name\":\"flood\",\"qty\":{r}}}")) + "]";
                try
                {
                    using var response = await hub.Http.PostAsync("/v1/tables/items/rows", new StringContent(rows, System.Text.Encoding.UTF8, "application/json"), stop.Token);
                    Interlocked.Increment(ref ingests);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        }, ct);

        // Probes: a row written on one side, timed until it is on the other.
        var latencies = new ConcurrentBag<(string Probe, TimeSpan Latency)>();
        var probes = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; clock.Elapsed < FloodFor; i++)
        {
            probes.Add(Probe(factory.DbPath, hub.DbPath, $"f{i}", latencies));
            probes.Add(Probe(hub.DbPath, factory.DbPath, $"h{i}", latencies));
            await Task.Delay(500, ct);
        }

        await Task.WhenAll(probes);
        await stop.CancelAsync();
        await Task.WhenAll(pushers.Append(ingest));

        var worst = latencies.MaxBy(l => l.Latency);
        string summary = $"{latencies.Count} probes, worst {worst.Probe} {worst.Latency.TotalSeconds:0.00} s, median "
            + $"{latencies.Select(l => l.Latency.TotalSeconds).Order().ElementAt(latencies.Count / 2):0.00} s; flood: {Interlocked.Read(ref pushes)} pushes "
            + $"({Interlocked.Read(ref refusedPushes)} refused), {Interlocked.Read(ref ingests)} ingests of 2,000 rows";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(Interlocked.Read(ref pushes) >= streams, "the flood ran: " + summary);
        Assert.True(Interlocked.Read(ref refusedPushes) > 0, "streams past MaxStreamsPerPeer were refused: " + summary);
        Assert.True(worst.Latency < Bound, $"a change took longer than {Bound.TotalSeconds} s between factory and hub: {summary}");
        if (checkFloodRows)
        {
            Assert.Equal(64_000L, hub.Db.Vector["flood-x/0"]);
            await Eventually.TrueAsync(() => AppDb.Count(hub.DbPath, "readings") == 64_000, "every flood row the hub's vector claims is on the hub",
                diagnostics: () => $"{AppDb.Count(hub.DbPath, "readings")} rows; hub vector {hub.Db.Vector}; rows per flood batch: "
                    + AppDb.Dump(hub.DbPath, "(SELECT (id - 1000000001) / 2000 AS b, count(*) AS n FROM readings GROUP BY b)"));
        }

        await Eventually.TrueAsync(() => AppDb.Dump(hub.DbPath, "settings") == AppDb.Dump(factory.DbPath, "settings")
            && AppDb.Count(factory.DbPath, "items", "id LIKE 'f%' OR id LIKE 'h%'") == AppDb.Count(hub.DbPath, "items", "id LIKE 'f%' OR id LIKE 'h%'"),
            "factory and hub converge");
    }

    private static async Task Probe(string from, string to, string id, ConcurrentBag<(string, TimeSpan)> latencies)
    {
        AppDb.Exec(from, "INSERT INTO items(id, name) VALUES ($1, 'probe')", id);
        var clock = Stopwatch.StartNew();
        while (AppDb.Count(to, "items", $"id = '{id}'") == 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                break;
            }

            await Task.Delay(25, CancellationToken.None);
        }

        latencies.Add((id, clock.Elapsed));
    }
}
