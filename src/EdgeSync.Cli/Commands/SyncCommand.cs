using System.CommandLine;
using System.Diagnostics;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync sync</c>: one two-way round between two local database files.</summary>
internal static class SyncCommand
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database("This replica's database file.");
        var with = new Option<string>("--with")
        {
            Description = "The other replica's database file (both must be set up with 'edgesync init', with different site ids). "
                + "Syncing with a peer over the network (a URL) comes with the agent, in a later version.",
            HelpName = "PATH",
            Required = true,
        };
        var command = new Command("sync", "Sync two local database files in one two-way round: pull what --with has that --db lacks, "
            + "then push the other way. Safe to interrupt and repeat.")
        {
            db, with,
        };
        command.SetAction(parsed => Run(context, parsed.GetRequiredValue(db), parsed.GetRequiredValue(with)));
        return command;
    }

    private static int Run(CliContext context, string localPath, string remotePath)
    {
        if (string.Equals(Path.GetFullPath(localPath), Path.GetFullPath(remotePath), StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.UsageError, $"--db and --with are the same file ('{localPath}'); sync needs two replicas");
        }

        using var local = Databases.OpenInitialised(localPath);
        using var remote = Databases.OpenInitialised(remotePath);
        if (string.Equals(local.SiteId, remote.SiteId, StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.EdgeSyncError,
                $"'{localPath}' and '{remotePath}' both belong to site '{local.SiteId}'; every replica needs its own site id "
                + "(a copied file must be re-initialised under a new one)");
        }

        var output = context.Out;
        output.WriteLine($"sync {localPath} ({local.SiteId}) with {remotePath} ({remote.SiteId})");
        Direction(context, "pull", remote, local, $"{remotePath} -> {localPath}");
        Direction(context, "push", local, remote, $"{localPath} -> {remotePath}");
        local.RecordPeerVector(remote.SiteId, remote.Vector);
        remote.RecordPeerVector(local.SiteId, local.Vector);

        bool same = local.Vector.Dominates(remote.Vector) && remote.Vector.Dominates(local.Vector);
        output.WriteLine(same
            ? "in sync: both hold the same changes"
            : "not fully in sync: new writes arrived during the round; run sync again");
        return ExitCodes.Ok;
    }

    private static void Direction(CliContext context, string name, SyncDatabase from, SyncDatabase to, string arrow)
    {
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var totals = Transfer.Run(from, to, context.CancellationToken, progress =>
        {
            if (clock.Elapsed - lastReport >= ProgressInterval)
            {
                lastReport = clock.Elapsed;
                context.Out.WriteLine($"  {name}: {Format.N(progress.Batches)} batches applied so far ({Format.N(progress.Applied)} rows)");
            }
        });
        context.Out.WriteLine($"{name}  {arrow}: {Format.N(totals.Applied)} rows applied, {Format.N(totals.Skipped)} already present, "
            + $"{Format.N(totals.Conflicts)} conflicts, {Format.N(totals.Batches)} batches in {clock.Elapsed.TotalSeconds:0.00} s");
    }
}
