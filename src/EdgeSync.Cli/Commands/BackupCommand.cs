using System.CommandLine;
using EdgeSync.Backup;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync backup</c>: an online backup of a synced database while writes go on.</summary>
internal static class BackupCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database("The database to back up (it may be in use by an agent and by apps).");
        var output = new Option<string>("--out")
        {
            Description = "The backup file to create (never overwritten), e.g. /data/backups/plant-20261126T0100.db.",
            HelpName = "FILE",
            Required = true,
        };
        var command = new Command("backup", "Take an online backup: one consistent snapshot, integrity-checked, while writes go on. "
            + "Restore it with 'edgesync restore'.")
        {
            db, output,
        };
        command.SetAction(parsed => Run(context, parsed.GetRequiredValue(db), parsed.GetRequiredValue(output)));
        return command;
    }

    private static int Run(CliContext context, string path, string destination)
    {
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        var bar = new ProgressLine(context.Out, "backup");
        var result = db.Backup(destination, bar, context.CancellationToken);
        bar.Done();
        context.Out.WriteLine($"backed up {path} to {result.Path}: {Format.N(result.Bytes)} bytes in {result.Duration.TotalSeconds:0.00} s "
            + $"(snapshot at {result.TakenAt:yyyy-MM-ddTHH:mm:ssZ})");
        return ExitCodes.Ok;
    }
}
