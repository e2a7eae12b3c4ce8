using System.Diagnostics;

namespace EdgeSync.Simulation;

/// <summary>
/// The console runner of <see cref="TopologySimulation"/>:
/// <c>dotnet run -c Release --project tests/EdgeSync.Simulation -- --topology hub [--seeds N] [--from S] [--steps K] [--clock-far]</c>
/// (<c>--clock-far</c>: every clock set behind goes 6–30 min behind, <see cref="TopologySimulation.ClockFar"/>).
/// Prints every failure with its replay command, and seeds/s.
/// </summary>
public static class TopologyRunner
{
    public static int Run(string[] args)
    {
        int topology = Array.IndexOf(args, "--topology");
        if (topology + 1 >= args.Length || args[topology + 1] != "hub")
        {
            Console.Error.WriteLine("--topology: the one topology is 'hub' (an HQ hub and its factories)");
            return 2;
        }

        int seeds = Arg(args, "--seeds", 1_000), from = Arg(args, "--from", 1), steps = Arg(args, "--steps", 120);
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        bool clockFar = args.Contains("--clock-far");
        var clock = Stopwatch.StartNew();
        int failed = 0, refused = 0, audited = 0, behindFactory = 0, behindHub = 0, seedsBehind = 0;
        for (int seed = from; seed < from + seeds; seed++)
        {
            using var sim = new TopologySimulation(seed, root) { ClockFar = clockFar };
            string? failure = sim.Run(steps);
            refused += sim.Refused;
            audited += sim.AuditedApplies;
            (behindFactory, behindHub) = (behindFactory + sim.FarBehind.Factory, behindHub + sim.FarBehind.Hub);
            seedsBehind += sim.FarBehind is (0, 0) ? 0 : 1;
            if (failure is not null)
            {
                failed++;
                Console.WriteLine(failure);
                Console.WriteLine($"replay: {ReplayCommand(seed, steps)}{(clockFar ? " --clock-far" : "")}");
            }

            if ((seed - from + 1) % 100 == 0)
            {
                Console.WriteLine($"{seed - from + 1} seeds, {failed} failed, {(seed - from + 1) / clock.Elapsed.TotalSeconds:0.0} seeds/s");
            }
        }

        Console.WriteLine($"{seeds} topology seeds from {from}: {failed} failed, {seeds / clock.Elapsed.TotalSeconds:0.0} seeds/s, {refused} batches refused by the hub, {audited} applies checked against the conflict audit");
        Console.WriteLine($"clocks set 6-30 min behind: {behindFactory} on factory replicas, {behindHub} on the hub, in {seedsBehind} seeds");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The command that replays one seed.</summary>
    public static string ReplayCommand(int seed, int steps) =>
        $"dotnet run -c Release --project tests/EdgeSync.Simulation -- --topology hub --from {seed} --seeds 1 --steps {steps}";

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }
}
