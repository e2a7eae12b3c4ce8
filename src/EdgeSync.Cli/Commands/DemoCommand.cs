using System.CommandLine;
using EdgeSync.Cli.Demo;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync demo</c>: a local, in-process fleet of replicas writing concurrently and converging.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var replicas = CommonOptions.Integer("--replicas", "Replica databases, each with its own app writer.", "N", 3, min: 2, max: 16);
        var seconds = CommonOptions.Integer("--seconds", "How long the apps write, in seconds.", "S", 10, min: 1, max: 3600);
        var rate = CommonOptions.Integer("--rate", "Telemetry rows per second, summed over all replicas.", "ROWS_PER_S", 5000, min: 1, max: 1_000_000);
        var dir = new Option<string?>("--dir")
        {
            Description = "Keep the replica databases in this directory (created if missing) instead of a temporary one deleted at the end.",
            HelpName = "PATH",
        };
        var command = new Command("demo", "Run a local demo fleet, no setup: N replica databases whose apps insert telemetry and update "
            + "shared config concurrently while a full mesh syncs them; then stop the writes, sync until quiet, and check that every "
            + "replica holds the same data (exit 0 when it does, 1 when not).")
        {
            replicas, seconds, rate, dir,
        };
        command.SetAction(parsed => new DemoRun(
            new DemoOptions(parsed.GetValue(replicas), TimeSpan.FromSeconds(parsed.GetValue(seconds)), parsed.GetValue(rate), parsed.GetValue(dir)),
            context).Execute());
        return command;
    }
}
