using System.Diagnostics;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using Grpc.Core;
using Grpc.Net.Client;
using Wire = EdgeSync.Agent.Internal.Wire;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// The cost of a sync pass that finds nothing to do. Agents A and B (A as B's peer) first bring their files to the same
/// <c>rows</c> rows (B pulls them); B then stops, and a bench-side client of the agent's proto calls A as B would, with
/// B's vector (equal to A's), over one warm channel: a <c>Converse</c> opened with the full list of databases and
/// answered by A's full list (the comparison each conversation starts with, and what A's periodic full list costs the
/// two sides), and a <c>Pull</c> that streams no batch (the round a caller runs when a comparison is inconclusive).
/// Last, the engine's side alone on the two files: both vectors and each side's changes for the other (none).
/// </summary>
/// <remarks>
/// Until the agents carried every database in one conversation per peer, this scenario timed B's own idle rounds.
/// Those no longer happen (nothing runs while the vectors agree), so the calls are timed from a client instead.
/// </remarks>
internal static class NoopScenario
{
    private const string Database = "bench"; // TempDirectory.Database's file name

    public static NoopReport Run(int rows, int calls) => RunAsync(rows, calls).GetAwaiter().GetResult();

    private static async Task<NoopReport> RunAsync(int rows, int calls)
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

        double[] converseMs;
        double[] pullMs;
        await using (var a = await InProcessAgent.StartAsync(pathA, SyncRun.SiteA, []).ConfigureAwait(false))
        {
            await using (await InProcessAgent.StartAsync(pathB, SyncRun.SiteB, [a.GrpcUrl]).ConfigureAwait(false))
            {
                using var readerB = new ReplicaReader(pathB);
                var wait = Stopwatch.StartNew();
                while (readerB.Count() < rows)
                {
                    BenchmarkFailedException.Check(wait.Elapsed < TimeSpan.FromSeconds(60), $"B holds {readerB.Count()} of {rows} rows after 60 s");
                    await Task.Delay(50).ConfigureAwait(false);
                }
            }

            Dictionary<string, long> vector;
            using (var db = SyncDatabase.Open(pathB))
            {
                vector = db.Vector.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            }

            using var channel = GrpcChannel.ForAddress(a.GrpcUrl);
            var client = new Sync.SyncClient(channel);
            converseMs = await TimeAsync(calls, () => ConverseAsync(client, vector)).ConfigureAwait(false);
            pullMs = await TimeAsync(calls, () => PullAsync(client, vector)).ConfigureAwait(false);
        }

        double[] engineMs = EngineRounds(pathA, pathB, calls);
        Report.Progress($"noop: converse {Stats.Median(converseMs):N2} ms (p99 {P99(converseMs):N2}), pull {Stats.Median(pullMs):N2} ms "
            + $"(p99 {P99(pullMs):N2}), engine {Stats.Median(engineMs):N3} ms over {calls} calls each");
        return new NoopReport("noop", Math.Round(Stats.Median(converseMs), 2), Math.Round(P99(converseMs), 2), Math.Round(Stats.Median(pullMs), 2),
            Math.Round(P99(pullMs), 2), Math.Round(Stats.Median(engineMs), 3), calls, rows);
    }

    private static double P99(double[] sorted) => sorted[(int)(0.99 * (sorted.Length - 1))];

    /// <summary>Times <paramref name="call"/> <paramref name="calls"/> times after 20 unreported ones (connection, JIT); sorted.</summary>
    private static async Task<double[]> TimeAsync(int calls, Func<Task> call)
    {
        var times = new double[calls];
        for (int i = -20; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await call().ConfigureAwait(false);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= 0)
            {
                times[i] = ms;
            }
        }

        Array.Sort(times);
        return times;
    }

    /// <summary>Opens a conversation as B with its full list and reads A's answer: its hello and full list, showing nothing to move.</summary>
    private static async Task ConverseAsync(Sync.SyncClient client, Dictionary<string, long> vector)
    {
        var headers = new Metadata
        {
            { Wire.SiteHeader, SyncRun.SiteB },
            { Wire.RoleHeader, "Peer" },
            { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using var call = client.Converse(headers);
        var entry = new DatabaseVector { Database = Database, SiteId = SyncRun.SiteB };
        entry.Vector.Add(vector);
        var hello = new ConversationMessage
        {
            Hello = new ConversationHello { SiteId = SyncRun.SiteB, ProtocolVersion = Wire.ProtocolVersion, Role = Role.Peer },
            Full = true,
        };
        hello.Databases.Add(entry);
        await call.RequestStream.WriteAsync(hello).ConfigureAwait(false);
        BenchmarkFailedException.Check(await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false), "A ended the conversation without answering");
        var answer = call.ResponseStream.Current;
        BenchmarkFailedException.Check(answer.Hello?.SiteId == SyncRun.SiteA && answer.Full, "A's first message is not its hello with the full list");
        var theirs = answer.Databases.SingleOrDefault(d => d.Database == Database);
        BenchmarkFailedException.Check(theirs is not null && theirs.Vector.Keys.Union(vector.Keys).All(k => theirs.Vector.GetValueOrDefault(k) == vector.GetValueOrDefault(k)),
            "A's vector differs from B's: the pass would have something to do");
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>A Pull with B's vector: A streams no batch.</summary>
    private static async Task PullAsync(Sync.SyncClient client, Dictionary<string, long> vector)
    {
        var request = new PullRequest { SiteId = SyncRun.SiteB, Role = Role.Peer, Database = Database };
        request.Vector.Add(vector);
        var headers = new Metadata { { Wire.ProtocolHeader, Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        using var call = client.Pull(request, headers);
        int batches = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            batches++;
        }

        BenchmarkFailedException.Check(batches == 0, $"a pull with an up-to-date vector received {batches} batches");
    }

    /// <summary>The engine's work in a pass with nothing to do: both vectors, and each side's changes for the other (none).</summary>
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
