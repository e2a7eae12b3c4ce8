using System.CommandLine;
using EdgeSync.Cli.Demo;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync demo</c>: a local fleet of real agents (an HQ hub and factories of replicas) writing, syncing and converging.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var factories = CommonOptions.Integer("--factories", "Factories, each a cluster of replicas syncing with the HQ hub.", "N", 2, min: 1, max: 100);
        var replicas = CommonOptions.Integer("--replicas", "Replicas (agents) per factory, meshed with each other.", "N", 3, min: 1, max: 16);
        var seconds = CommonOptions.Integer("--seconds", "How long the factories ingest telemetry, in seconds.", "S", 15, min: 1, max: 3600);
        var rate = CommonOptions.Integer("--rate", "Telemetry rows per second, summed over all factory replicas.", "ROWS_PER_S", 2000, min: 1, max: 1_000_000);
        var dir = new Option<string?>("--dir")
        {
            Description = "Keep the sites' databases in this directory (created if missing; hq/plant.db, factory-001/edge-0/plant.db, ...) "
                + "instead of a temporary one deleted at the end.",
            HelpName = "PATH",
        };
        var tls = new Option<bool>("--tls")
        {
            Description = "Sync over mutual TLS: a development CA and a certificate per cluster (DIR/certs), peers checked against it, "
                + "ingest with a bearer token.",
        };
        var keep = new Option<bool>("--keep")
        {
            Description = "After the verdict, keep the fleet running until Ctrl-C, so its fleet console (the hub's /ui, URL printed at start) stays open.",
        };
        var command = new Command("demo", "Run a local demo fleet on 127.0.0.1, no setup: an HQ hub and factories of replicas, every site a real "
            + "agent syncing over gRPC. The factories ingest telemetry (flowing up to HQ only) and set machine states on several replicas at "
            + "once (conflicts); HQ pushes a config change (flowing down only). Live progress each second; then the writes stop and the demo "
            + "checks that every site converged (exit 0 when it did, 1 when not).")
        {
            factories, replicas, seconds, rate, dir, tls, keep,
        };
        command.SetAction(parsed => new DemoRun(
            new DemoOptions(parsed.GetValue(factories), parsed.GetValue(replicas), TimeSpan.FromSeconds(parsed.GetValue(seconds)),
                parsed.GetValue(rate), parsed.GetValue(dir), parsed.GetValue(tls), parsed.GetValue(keep)),
            context).Execute());
        return command;
    }
}
