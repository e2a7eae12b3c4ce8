using System.CommandLine;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync peers forget</c>: stop waiting for a peer that is gone for good.</summary>
internal static class PeersCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database();
        var peer = new Option<string>("--peer")
        {
            Description = "The site id of the peer to forget, as 'edgesync status' lists it (e.g. factory-001/sqlite-edge-4).",
            HelpName = "SITE",
            Required = true,
        };
        var forget = new Command("forget", "Forget a removed peer (a replica scaled away, a decommissioned factory): its recorded "
            + "vector, so compaction no longer waits for it, its cluster_sync rows and any refusal it recorded. If it comes back "
            + "after this replica compacted past what it holds, its sync is refused until it is re-seeded from a current replica.")
        {
            db, peer,
        };
        forget.SetAction(parsed => Forget(context, parsed.GetRequiredValue(db), parsed.GetRequiredValue(peer)));
        return new Command("peers", "Manage the peers this replica remembers.") { forget };
    }

    private static int Forget(CliContext context, string path, string peer)
    {
        using var db = Databases.OpenInitialised(path, context.CancellationToken);
        if (!db.Status.ForgetPeer(peer, context.CancellationToken))
        {
            throw new CliException(ExitCodes.EdgeSyncError, $"no peer '{peer}' is known to '{path}' ('edgesync status --db {path}' lists the known peers)");
        }

        context.Out.WriteLine($"forgot peer {peer} in {path}; compaction no longer waits for it");
        return ExitCodes.Ok;
    }
}
