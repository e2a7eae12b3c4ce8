using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// A change at the hub fanning out to N factory replicas: one hub agent and N replica agents, all in this process
/// (<see cref="InProcessAgent"/>, real gRPC over loopback), each replica with the hub as its only peer, so the hub
/// holds N conversations, as HQ does with a fleet's factories. Once every replica has synced with the hub and a settle
/// pause has passed, the application at the hub commits one lww row <see cref="FanoutReport.Changes"/> times, 2 s
/// apart; a reader polls every replica's file every 5 ms until each holds it. The one-replica case runs first in the
/// same invocation. Every agent shares this process's two cores, so the numbers include that contention.
/// </summary>
internal static class FanoutScenario
{
    private const int ThreadsPerAgent = 4; // as `edgesync demo`: the agents' synchronous SQLite work shares one pool
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BetweenChanges = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    public static FanoutReport Run(int replicas, int changes, int _)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, ThreadsPerAgent * (replicas + 1)), io);
        var sizes = new List<FanoutSize>();
        foreach (int n in replicas > 1 ? new[] { 1, replicas } : [1])
        {
            sizes.Add(RunSizeAsync(n, changes).GetAwaiter().GetResult());
        }

        return new FanoutReport("fanout", changes, sizes);
    }

    private static async Task<FanoutSize> RunSizeAsync(int replicas, int changes)
    {
        using var dir = new TempDirectory("fanout");
        string hubPath = Path.Combine(dir.Path, "hq", "plant.db");
        Directory.CreateDirectory(Path.GetDirectoryName(hubPath)!);
        Replica.Create(hubPath, "hq", TablePolicy.Lww);
        var paths = Enumerable.Range(0, replicas).Select(i =>
        {
            string path = Path.Combine(dir.Path, $"r{i:D3}", "plant.db");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Replica.Create(path, $"factory-{i:D3}", TablePolicy.Lww);
            return path;
        }).ToList();

        var clock = Stopwatch.StartNew();
        await using var hub = await InProcessAgent.StartAsync(hubPath, "hq", []).ConfigureAwait(false);
        var agents = new List<InProcessAgent>();
        try
        {
            foreach (var batch in paths.Select((p, i) => (p, i)).Chunk(10))
            {
                agents.AddRange(await Task.WhenAll(batch.Select(x => InProcessAgent.StartAsync(x.p, $"factory-{x.i:D3}", [hub.GrpcUrl]))).ConfigureAwait(false));
            }

            double startSeconds = clock.Elapsed.TotalSeconds;
            long id = 0;
            await ChangeAsync(hubPath, paths, ++id, clock, []).ConfigureAwait(false); // every replica is connected and synced
            Report.Progress($"fanout {replicas} replicas: started and synced in {clock.Elapsed.TotalSeconds:N1} s");
            await Task.Delay(Settle).ConfigureAwait(false);

            var lags = new List<double>();
            var lasts = new List<double>();
            using var self = Process.GetCurrentProcess();
            var cpu0 = self.TotalProcessorTime;
            var window = Stopwatch.StartNew();
            for (int c = 0; c < changes; c++)
            {
                var these = new List<double>();
                await ChangeAsync(hubPath, paths, ++id, clock, these).ConfigureAwait(false);
                lags.AddRange(these);
                lasts.Add(these.Max());
                Report.Progress($"fanout {replicas} replicas, change {c + 1}/{changes}: p50 {Stats.Percentile(these, 0.5):N0} ms, last {these.Max():N0} ms");
                await Task.Delay(BetweenChanges).ConfigureAwait(false);
            }

            self.Refresh();
            int all = replicas + 1;
            double cpu = (self.TotalProcessorTime - cpu0).TotalSeconds / window.Elapsed.TotalSeconds;
            return new FanoutSize(replicas, Math.Round(startSeconds, 1), Math.Round(Stats.Percentile(lags, 0.5), 1), Math.Round(Stats.Percentile(lags, 0.99), 1),
                Math.Round(lags.Max(), 1), Math.Round(Stats.Median(lasts), 1), Math.Round(100 * cpu / all, 2), Math.Round(self.WorkingSet64 / 1048576.0 / all, 1));
        }
        finally
        {
            foreach (var batch in agents.Chunk(20))
            {
                await Task.WhenAll(batch.Select(a => a.DisposeAsync().AsTask())).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Commits row <paramref name="id"/> at the hub; adds each replica's time until its file holds it.</summary>
    private static async Task ChangeAsync(string hubPath, List<string> paths, long id, Stopwatch clock, List<double> lags)
    {
        var readers = paths.Select(p => new ReplicaReader(p)).ToList();
        try
        {
            double committed;
            using (var app = Workload.OpenApp(hubPath))
            {
                Workload.Exec(app, FormattableString.Invariant($"INSERT INTO t(id, device, ts, value) VALUES ({id}, 'config', {id}, 0.5)"));
                committed = clock.Elapsed.TotalMilliseconds;
            }

            var deadline = clock.Elapsed + TimeSpan.FromSeconds(120);
            while (readers.Count > 0)
            {
                await Task.Delay(Poll).ConfigureAwait(false);
                double now = clock.Elapsed.TotalMilliseconds;
                foreach (var r in readers.Where(r => r.MaxId() >= id).ToList())
                {
                    lags.Add(now - committed);
                    r.Dispose();
                    readers.Remove(r);
                }

                BenchmarkFailedException.Check(clock.Elapsed < deadline, $"{readers.Count} of {paths.Count} replicas lack row {id} 120 s after the hub committed it");
            }
        }
        finally
        {
            foreach (var r in readers)
            {
                r.Dispose();
            }
        }
    }
}
