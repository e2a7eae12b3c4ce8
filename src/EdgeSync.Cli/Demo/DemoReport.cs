using System.Diagnostics;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>The demo's text before and after the live progress: what runs where, then the verdict and the summary.</summary>
internal sealed class DemoReport(DemoOptions options, DemoFleet fleet, TextWriter output)
{
    private const int MaxProblemsShown = 5;

    // Taken when the fleet has started (the report is made then): what the agents cost from the first write to the summary.
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    public void PrintIntro(TimeSpan startup)
    {
        output.WriteLine($"EdgeSync demo: an HQ hub and {options.Factories} {Plural(options.Factories, "factory", "factories")} of {options.Replicas} "
            + $"{Plural(options.Replicas, "replica", "replicas")}, {fleet.All.Count} real agents on 127.0.0.1 "
            + $"({(options.Tls ? "gRPC sync over mutual TLS, HTTP ingest with a bearer token" : "gRPC sync, HTTP ingest")}), "
            + $"started in {startup.TotalSeconds:0.0} s");
        output.WriteLine($"  {"hq",-18}  hub; sync {fleet.Hub.SyncUrl}, ingest {fleet.Hub.HttpUrl}");
        string last = DemoSite.FactoryName(options.Factories);
        output.WriteLine($"  {(options.Factories == 1 ? last : $"factory-001..{last[^3..]}"),-18}  "
            + (options.Replicas == 1 ? "1 replica each, syncing with hq" : $"{options.Replicas} replicas each, meshed with each other; edge-0 syncs with hq"));
        output.WriteLine($"  {"database",-18}  {FleetSchema.DatabaseFile} on every site (agents match databases by file name)");
        output.WriteLine($"  {"telemetry",-18}  append, up (factory -> HQ only): {Format.N(options.RowsPerSecond)} rows/s over the factories' "
            + $"ingest API for {options.Duration.TotalSeconds:0.#} s");
        var (key, value) = FleetSchema.PushedConfig;
        output.WriteLine($"  {"config",-18}  lww, down (HQ -> factories only): HQ sets {key} = {value} at {options.ConfigPushAt.TotalSeconds:0.0} s");
        output.WriteLine($"  {"machine_state",-18}  lww, both: every {options.MachineStateInterval.TotalSeconds:0.0#} s the replicas of each factory "
            + "set the same machine at the same moment (conflicts)");
        output.WriteLine();
    }

    /// <summary>Prints the verdict and the summary; returns the exit code.</summary>
    public int PrintSummary(ConvergenceResult result, TelemetryFeed telemetry, MachineStateFeed machines, ConfigPush config, string directory, bool temporary, TextWriter error)
    {
        var snapshots = result.Snapshots;
        long written = telemetry.Written;
        var perFactory = Enumerable.Range(1, options.Factories).Select(telemetry.WrittenBy).ToList();
        output.WriteLine();
        output.WriteLine(result.Converged
            ? $"Converged: HQ and all {options.FactoryReplicas} factory {Plural(options.FactoryReplicas, "replica", "replicas")} hold what they should, "
                + $"{result.Elapsed.TotalSeconds:0.00} s after the writes stopped."
            : "NOT converged.");
        output.WriteLine($"  factories           {options.Factories}");
        output.WriteLine($"  replicas            {options.Replicas} per factory ({options.FactoryReplicas} factory agents + the HQ hub)");
        string each = perFactory.Min() == perFactory.Max() ? Format.N(perFactory[0]) : $"{Format.N(perFactory.Min())} to {Format.N(perFactory.Max())}";
        output.WriteLine($"  rows                {Format.N(written)} telemetry rows written ({each} per factory), {Format.N(snapshots[0].Rows)} at HQ; "
            + $"{Format.N(machines.Updates)} machine_state writes");
        output.WriteLine($"  time to converge    {result.Elapsed.TotalSeconds:0.00} s after writes stopped"
            + (result.Converged ? "" : $" (gave up after {options.ConvergeTimeout.TotalSeconds:0} s)"));
        output.WriteLine($"  conflicts resolved  {Format.N(snapshots.Sum(s => s.Conflicts))} (audit records, one per column and site where "
            + "concurrent writes met; see edgesync conflicts --db FILE)");
        output.WriteLine(config.Propagation is { } propagation
            ? $"  config propagation  {propagation.TotalSeconds:0.000} s (HQ's change reached all {options.FactoryReplicas} factory replicas)"
            : $"  config propagation  not complete: {config.Reached} of {options.FactoryReplicas} factory replicas have HQ's change");
        if (config.Arrival(50) is { } p50 && config.Arrival(99) is { } p99)
        {
            output.WriteLine($"  config per replica  p50 {p50.TotalSeconds:0.000} s, p99 {p99.TotalSeconds:0.000} s ({config.Reached} factory replicas)");
            if (config.Arrival(50, gateway: true) is { } g50 && config.Arrival(99, gateway: true) is { } g99
                && config.Arrival(50, gateway: false) is { } s50 && config.Arrival(99, gateway: false) is { } s99)
            {
                if (config.Written is { } ingest)
                {
                    output.WriteLine($"    written at HQ     {ingest.TotalSeconds:0.000} s (HQ's ingest call, counted in every time here)");
                }

                output.WriteLine($"    from HQ           p50 {g50.TotalSeconds:0.000} s, p99 {g99.TotalSeconds:0.000} s (each factory's gateway, which dials HQ)");
                output.WriteLine($"    from a sibling    p50 {s50.TotalSeconds:0.000} s, p99 {s99.TotalSeconds:0.000} s (the other replicas)");
            }
        }

        PrintResources();
        output.WriteLine("  checksums");
        int width = snapshots.Max(s => s.Site.Site.Length);
        foreach (var s in snapshots)
        {
            var first = snapshots.First(o => o.Site.Factory == s.Site.Factory);
            string mark = s.Checksum == first.Checksum ? "" : $"  <- differs from {first.Site.Site}";
            output.WriteLine($"    {s.Site.Site.PadRight(width)}  {s.Checksum[..16]}  {Format.N(s.Rows),10} rows{mark}");
        }

        if (!temporary)
        {
            output.WriteLine($"  files               {directory} (try: edgesync status --db {fleet.Hub.Path})");
        }

        if (result.Converged)
        {
            return ExitCodes.Ok;
        }

        var shown = result.Problems.Take(MaxProblemsShown);
        string more = result.Problems.Count > MaxProblemsShown ? $" (and {result.Problems.Count - MaxProblemsShown} more)" : "";
        error.WriteLine($"edgesync: the fleet did not converge within {options.ConvergeTimeout.TotalSeconds:0} s after the writes stopped: "
            + string.Join("; ", shown) + more);
        return ExitCodes.CheckFailed;
    }

    /// <summary>CPU and memory of this process (every agent of the fleet) since the fleet started, in total and per agent.</summary>
    private void PrintResources()
    {
        using var self = Process.GetCurrentProcess();
        double wall = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        double cores = (self.TotalProcessorTime - _cpuAtStart).TotalSeconds / wall;
        double rssMiB = self.WorkingSet64 / (1024.0 * 1024.0);
        int agents = fleet.All.Count;
        output.WriteLine($"  resources           {100 * cores:0} % of a core and {rssMiB:0} MiB resident for all {agents} agents over {wall:0} s "
            + $"({100 * cores / agents:0.00} % and {rssMiB / agents:0.0} MiB per agent; {Environment.ProcessorCount} cores here)");
    }

    private static string Plural(int n, string one, string many) => n == 1 ? one : many;
}
