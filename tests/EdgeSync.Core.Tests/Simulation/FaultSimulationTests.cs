using EdgeSync.Simulation;

namespace EdgeSync.Tests.Simulation;

/// <summary>
/// 1,000 seeds of the fault simulation (3–50 sites; drops, duplicates, reordering, partitions, crash-restarts):
/// convergence, no committed write lost, no deleted row back, vectors monotonic. Run more, or replay a failure, with
/// <c>dotnet run -c Release --project tests/EdgeSync.Simulation -- --seeds 10000</c> (the failure prints its own
/// replay command).
/// </summary>
public sealed class FaultSimulationTests
{
    [Fact]
    public void ThousandSeeds_AllInvariantsHold()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(1, 1_001, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = TestContext.Current.CancellationToken }, seed =>
        {
            using var sim = new FaultSimulation(seed, root);
            if (sim.Run(steps: 60) is { } failure)
            {
                failures.Add(failure + $"\n  replay: dotnet run -c Release --project tests/EdgeSync.Simulation -- --from {seed} --seeds 1 --steps 60");
            }
        });
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(3)));
    }
}
