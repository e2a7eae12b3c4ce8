using System.Diagnostics;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// Has the fleet converged? HQ holds every telemetry row of every factory; each factory replica holds exactly its
/// own factory's telemetry (direction <c>up</c>: HQ never sends a factory another's rows), HQ's config (direction
/// <c>down</c>) and the fleet's machine states (<c>both</c>); and the replicas of each factory have identical checksums.
/// The cheap checks (counts, small tables) run first; checksums only once they pass.
/// </summary>
internal sealed class ConvergenceCheck(DemoFleet fleet, TelemetryFeed feed)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Checks again and again until converged or <paramref name="timeout"/> passed; call once the writes stopped.</summary>
    public async Task<ConvergenceResult> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var problems = Problems();
            var seen = clock.Elapsed; // the state just read was converged no later than this
            if (problems.Count == 0)
            {
                var snapshots = fleet.All.Select(SiteSnapshot.Read).ToList();
                problems = ChecksumProblems(snapshots);
                if (problems.Count == 0)
                {
                    return new ConvergenceResult(true, seen, snapshots, []);
                }
            }

            if (clock.Elapsed >= timeout)
            {
                return new ConvergenceResult(false, clock.Elapsed, fleet.All.Select(SiteSnapshot.Read).ToList(), problems);
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>What is still wrong by counts and the small tables; empty when nothing is.</summary>
    private List<string> Problems()
    {
        var problems = new List<string>();
        string config, machines;
        using (var hq = SiteDatabase.Open(fleet.Hub.Path))
        {
            long total = feed.Written;
            long atHq = SiteDatabase.CountTelemetry(hq);
            if (atHq != total)
            {
                problems.Add($"{fleet.Hub.Site} holds {Format.N(atHq)} of the {Format.N(total)} telemetry rows written");
            }

            config = SiteDatabase.Digest(hq, "config", "key", "value");
            machines = SiteDatabase.Digest(hq, "machine_state", "machine", "state");
        }

        foreach (var site in fleet.FactoryReplicas)
        {
            using var c = SiteDatabase.Open(site.Path);
            long own = SiteDatabase.CountTelemetry(c, site.Factory);
            long all = SiteDatabase.CountTelemetry(c);
            long expected = feed.WrittenBy(site.Factory);
            if (own != expected)
            {
                problems.Add($"{site.Site} holds {Format.N(own)} of its factory's {Format.N(expected)} telemetry rows");
            }

            if (all != own)
            {
                problems.Add($"{site.Site} holds {Format.N(all - own)} telemetry rows of other factories (telemetry flows up only)");
            }

            if (SiteDatabase.Digest(c, "config", "key", "value") != config)
            {
                problems.Add($"{site.Site}'s config differs from HQ's");
            }

            if (SiteDatabase.Digest(c, "machine_state", "machine", "state") != machines)
            {
                problems.Add($"{site.Site}'s machine_state differs from HQ's");
            }
        }

        return problems;
    }

    /// <summary>Each factory's replicas must have the same checksum as its first replica.</summary>
    private static List<string> ChecksumProblems(List<SiteSnapshot> snapshots) =>
        snapshots.Where(s => !s.Site.IsHub)
            .GroupBy(s => s.Site.Factory)
            .SelectMany(g => g.Skip(1).Where(s => s.Checksum != g.First().Checksum)
                .Select(s => $"{s.Site.Site}'s checksum differs from {g.First().Site.Site}'s"))
            .ToList();
}
