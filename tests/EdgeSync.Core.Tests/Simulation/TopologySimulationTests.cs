using EdgeSync.Simulation;

namespace EdgeSync.Tests.Simulation;

/// <summary>
/// Seeds of the hub/factory topology simulation (tests/EdgeSync.Simulation, <c>TopologySimulation</c>): an HQ hub and
/// 2–4 factories of 1–3 replicas, exchanging through the agent's direction filter and the hub's authorization, with
/// table directions up / down / both, a direction opened from up to both and rolled out one agent at a time, restored
/// factory replicas, a rogue factory and batches presented under another cluster's name, lost and duplicated batches,
/// crashes and injected disk faults. Each run checks siblings equal, every table as its direction allows, no reading
/// lost, nothing refused from a well-behaved factory and nothing applied that the hub must refuse. A few seeds here
/// (the 1,000-seed <see cref="FaultSimulationTests"/> keeps the suite's time); many on demand with
/// <c>dotnet run -c Release --project tests/EdgeSync.Simulation -- --topology hub --seeds 2000</c>.
/// </summary>
public sealed class TopologySimulationTests
{
    [Fact]
    public void TopologySeeds_AllInvariantsHold()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int refused = 0;
        Parallel.For(1, 25, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = TestContext.Current.CancellationToken }, seed =>
        {
            using var sim = new TopologySimulation(seed, root);
            if (sim.Run(steps: 80) is { } failure)
            {
                failures.Add(failure + "\n  replay: " + TopologyRunner.ReplayCommand(seed, 80));
            }

            Interlocked.Add(ref refused, sim.Refused);
        });
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(3)));
        Assert.True(refused > 0, "the hub refused no batch over 24 seeds: the rogue factory and the borrowed names were not exercised");
    }

    /// <summary>Seeds with a clock set 6–30 minutes behind (past <c>MaxClockDrift</c> + 1 min) and set right later
    /// (<c>TopologySimulation.ClockBehind.cs</c>), at 120 steps: 80 and 376 (<c>factory-001/edge-0</c> 11 and 28 minutes
    /// behind took <c>factory-002</c>'s <c>items</c> rows, and in 376 the hub's too, stamped in its future, for clocks
    /// that ran ahead). Both failed with every re-stamp allowed (no <c>MayOriginate</c>, as before design.md §6b rule 5): the
    /// factory re-stamped those rows as its own writes and the hub refused its batches under the <c>owner</c> rule.</summary>
    [Theory]
    [InlineData(80)]
    [InlineData(376)]
    public void ClockBehindSeeds_AllInvariantsHold(int seed)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        using var sim = new TopologySimulation(seed, root);
        var failure = sim.Run(steps: 120);
        Assert.True(sim.FarBehind != (0, 0), $"seed {seed} set no clock far behind: the nemesis's schedule changed");
        Assert.True(failure is null, failure + "\n  replay: " + TopologyRunner.ReplayCommand(seed, 120));
    }

    /// <summary>Seeds of <see cref="TopologySimulation.ClockFar"/> (every clock set behind goes 6–30 minutes behind), at
    /// 120 steps: 5367, 5373 and 5682 open <c>counters</c> from <c>up</c> to <c>both</c> after the hub, far behind,
    /// withheld and disclaimed another factory's rows of it; the original, sent back to the hub by its origin later, must
    /// reach the factories whose vectors passed it while the table was <c>up</c> (the hub's re-offer watch). Each failed
    /// with the watch not started (a factory lacked the row, or kept the withheld cell's re-offer).</summary>
    [Theory]
    [InlineData(5367)]
    [InlineData(5373)]
    [InlineData(5682)]
    public void ClockFarSeeds_AllInvariantsHold(int seed)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        using var sim = new TopologySimulation(seed, root) { ClockFar = true };
        var failure = sim.Run(steps: 120);
        Assert.True(sim.FarBehind.Hub > 0, $"seed {seed} set the hub's clock far behind no time: the nemesis's schedule changed");
        Assert.True(failure is null, failure + "\n  replay: " + TopologyRunner.ReplayCommand(seed, 120) + " --clock-far");
    }

    /// <summary>Compaction seeds that failed at 120 steps: 260 (a factory's floor for the hub's id rose past the hub's
    /// filtered events, which the hub disclaimed when its clock was set right: every later hub batch stale), 539 and 986
    /// (a replica not linked to the hub compacted past what the hub holds and was asked to extract for it).</summary>
    [Theory]
    [InlineData(260)]
    [InlineData(539)]
    [InlineData(986)]
    public void CompactionSeeds_AllInvariantsHold(int seed)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        using var sim = new TopologySimulation(seed, root);
        var failure = sim.Run(steps: 120);
        Assert.True(failure is null, failure + "\n  replay: " + TopologyRunner.ReplayCommand(seed, 120));
    }
}
