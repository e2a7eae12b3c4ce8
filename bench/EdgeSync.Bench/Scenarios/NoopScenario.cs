using System.Diagnostics;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using Grpc.Net.Client;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// The cost of a sync round when nothing changed. Agents A and B (A as B's peer) hold the same <c>rows</c> rows
/// (B pulled them first); B's sync interval (and idle interval) is set to 20 ms so its peer loop runs idle rounds back to back, and the
/// round durations it logs are collected. Then, for the parts: Handshake calls to A with a bench-side client stub of
/// the agent's proto, and the engine's side of a round on the two files with no agent running.
/// </summary>
internal static class NoopScenario
{
    private const int SyncIntervalMs = 20;

    public static NoopReport Run(int rows, int runs)
    {
        return RunAsync(rows, runs).GetAwaiter().GetResult();
    }

    private static async Task<NoopReport> RunAsync(int rows, int rounds)
    {
        using var dir = new TempDirectory("noop");
        string pathA = dir.Database("a");
        string pathB = dir.Database("b");
        Replica.Create(pathA, SyncRun.SiteA, TablePolicy.Lww);
        Replica.Create(pathB, SyncRun.SiteB, TablePolicy.Lww);
        using (var app = Workload.OpenApp(pathA))
        {
            Workload.Insert(app, 1, rows);
        }

        var log = new RoundLog();
        string interval = SyncIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string?>
        {
            ["EdgeSync:SyncIntervalMs"] = interval,
            ["EdgeSync:IdleSyncIntervalMs"] = interval, // idle rounds back to back, not stretched
        };
        double[] agentMs;
        double[] handshakeMs;
        await using (var a = await InProcessAgent.StartAsync(pathA, SyncRun.SiteA, []).ConfigureAwait(false))
        {
            await using (var b = await InProcessAgent.StartAsync(pathB, SyncRun.SiteB, [a.GrpcUrl], settings, log).ConfigureAwait(false))
            {
                using (var readerB = new ReplicaReader(pathB))
                {
                    var wait = Stopwatch.StartNew();
                    while (readerB.Count() < rows)
                    {
                        BenchmarkFailedException.Check(wait.Elapsed < TimeSpan.FromSeconds(60), $"B holds {readerB.Count()} of {rows} rows after 60 s");
                        await Task.Delay(50).ConfigureAwait(false);
                    }
                }

                await Task.Delay(2_000).ConfigureAwait(false); // the round that pulled, then idle rounds (JIT)
                log.Rounds.Clear();
                while (log.Rounds.Count < rounds)
                {
                    await Task.Delay(100).ConfigureAwait(false);
                }

                var collected = log.Rounds.Take(rounds).ToList();
                BenchmarkFailedException.Check(collected.All(r => r.Pulled == 0 && r.Pushed == 0),
                    $"{collected.Count(r => r.Pulled + r.Pushed > 0)} of the idle rounds moved rows");
                agentMs = collected.Select(r => r.Milliseconds).ToArray();
            }

            handshakeMs = await HandshakesAsync(a.GrpcUrl, rounds).ConfigureAwait(false);
        }

        double[] engineMs = EngineRounds(pathA, pathB, rounds);
        Array.Sort(agentMs);
        Report.Progress($"noop: agent round median {Stats.Median(agentMs):N2} ms (p99 {agentMs[(int)(0.99 * (agentMs.Length - 1))]:N2} ms) over {agentMs.Length} rounds; "
            + $"handshake {Stats.Median(handshakeMs):N2} ms; engine {Stats.Median(engineMs):N3} ms");
        return new NoopReport("noop", Math.Round(Stats.Median(agentMs), 2), Math.Round(agentMs[(int)(0.99 * (agentMs.Length - 1))], 2), agentMs.Length,
            Math.Round(Stats.Median(engineMs), 3), Math.Round(Stats.Median(handshakeMs), 2), rows);
    }

    /// <summary>What B's client sends first in a round, over one warm channel (as the agent keeps it).</summary>
    private static async Task<double[]> HandshakesAsync(string url, int calls)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var client = new Sync.SyncClient(channel);
        var times = new double[calls];
        for (int i = -20; i < calls; i++) // 20 unreported: connection, JIT
        {
            var request = new HandshakeRequest { SiteId = SyncRun.SiteB, ProtocolVersion = 2, Database = "bench", Role = Role.Peer };
            request.Vector[SyncRun.SiteA] = 1;
            long start = Stopwatch.GetTimestamp();
            var reply = await client.HandshakeAsync(request).ResponseAsync.ConfigureAwait(false);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            BenchmarkFailedException.Check(reply.SiteId == SyncRun.SiteA, $"handshake answered by '{reply.SiteId}', expected {SyncRun.SiteA}");
            if (i >= 0)
            {
                times[i] = ms;
            }
        }

        return times;
    }

    /// <summary>The engine's work in an idle round: both vectors, and each side's changes for the other (none).</summary>
    private static double[] EngineRounds(string pathA, string pathB, int rounds)
    {
        using var a = SyncDatabase.Open(pathA);
        using var b = SyncDatabase.Open(pathB);
        BenchmarkFailedException.Check(a.Checksum() == b.Checksum(), "A and B differ after the initial sync");
        var times = new double[rounds];
        for (int i = -20; i < rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int changes = a.GetChanges(b.Vector).Sum(x => x.RowCount) + b.GetChanges(a.Vector).Sum(x => x.RowCount);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            BenchmarkFailedException.Check(changes == 0, $"an idle round found {changes} changes to send");
            if (i >= 0)
            {
                times[i] = ms;
            }
        }

        return times;
    }
}
