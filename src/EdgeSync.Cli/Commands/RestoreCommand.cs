using System.CommandLine;
using EdgeSync.Backup;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync restore</c>: checks a backup and puts it in place of a replica's database.</summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext context)
    {
        var from = new Option<string>("--from") { Description = "The backup file (from 'edgesync backup').", HelpName = "FILE", Required = true };
        var db = CommonOptions.Database("Where to restore it: the replica's database file. Stop the agent serving it first.");
        var force = new Option<bool>("--force") { Description = "Replace an existing database file (and its WAL)." };
        var command = new Command("restore", "Restore a backup after PRAGMA integrity_check. The restored replica rejoins as the next "
            + "incarnation of its site (site~N), so it never reissues a change number its peers already hold, and catches up from them.")
        {
            from, db, force,
        };
        command.SetAction(parsed => Run(context, parsed.GetRequiredValue(from), parsed.GetRequiredValue(db), parsed.GetValue(force)));
        return command;
    }

    private static int Run(CliContext context, string backup, string path, bool force)
    {
        var bar = new ProgressLine(context.Out, "restore");
        DatabaseBackup.Restore(backup, path, force, bar, context.CancellationToken);
        bar.Done();
        using var db = SyncDatabase.Open(path, cancellationToken: context.CancellationToken);
        context.Out.WriteLine($"restored {backup} to {path}; it rejoins as site '{db.SiteId}' and catches up from its peers on the next sync");
        return ExitCodes.Ok;
    }
}
