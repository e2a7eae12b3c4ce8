using System.CommandLine;
using System.Diagnostics;
using EdgeSync.Cli.Internal;
using EdgeSync.Verify;

namespace EdgeSync.Cli.Commands;

/// <summary>
/// <c>edgesync verify A.db B.db</c> or <c>edgesync verify A.db --peer URL</c>: compares every column of every row of
/// the synced tables (and their schemas) through content digests, and names what differs.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var database = new Argument<string>("database") { Description = "This replica's database file." };
        var other = new Argument<string?>("other")
        {
            Description = "The other replica's database file (or give --peer URL instead).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var peer = new Option<string?>("--peer")
        {
            Description = "A running agent's sync URL: compare with the database of the same file name it serves (Digest call).",
            HelpName = "URL",
        };
        var role = new Option<Agent.AgentRole>("--role")
        {
            Description = "With --peer: the role this replica has (hub, factory or peer); only tables that flow both ways between the roles are compared.",
            HelpName = "ROLE",
            DefaultValueFactory = _ => Agent.AgentRole.Peer,
        };
        var maxRows = CommonOptions.Integer("--max-rows", "Differing rows listed per table.", "N", 20, 0, 1_000_000);
        var repair = new Option<bool>("--repair")
        {
            Description = "With a second file: re-offer every differing row on both sides and sync them both ways, so they converge on the "
                + "merge of the two (the newer clock wins each cell); tables whose schema differs are left alone and named. Then compare again.",
        };
        var tls = new TlsFlags();
        var command = new Command("verify", "Compare two replicas' content: every column of every row of every synced table, and the tables' "
            + "schemas, through bucketed digests (only the buckets that differ are compared row by row). Prints 'identical', or per "
            + "table the rows and columns that differ, and exits 1 on a difference.")
        {
            database, other, peer, role, maxRows, repair, tls.Certificate, tls.Key, tls.Authority,
        };
        command.SetAction(parsed => (parsed.GetValue(other), parsed.GetValue(peer)) switch
        {
            ({ } file, null) => tls.Read(parsed).IsConfigured
                ? throw new CliException(ExitCodes.UsageError, "--tls-cert, --tls-key and --tls-ca go with --peer URL, not a second file")
                : RunFiles(context, parsed.GetRequiredValue(database), file, parsed.GetValue(maxRows), parsed.GetValue(repair)),
            (null, { } url) when parsed.GetValue(repair) => throw new CliException(ExitCodes.UsageError,
                "--repair needs both files (edgesync verify A.db B.db --repair); against a running agent it is not supported yet"),
            (null, { } url) => RunPeer(context, parsed.GetRequiredValue(database), url, parsed.GetValue(role), tls.Read(parsed), parsed.GetValue(maxRows)),
            _ => throw new CliException(ExitCodes.UsageError, "give exactly one of a second database file or --peer URL"),
        });
        return command;
    }

    private static int RunFiles(CliContext context, string firstPath, string secondPath, int maxRows, bool repair)
    {
        if (string.Equals(Path.GetFullPath(firstPath), Path.GetFullPath(secondPath), StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.UsageError, $"both arguments are the same file ('{firstPath}')");
        }

        var clock = Stopwatch.StartNew();
        using var first = Databases.OpenInitialised(firstPath, context.CancellationToken);
        using var second = Databases.OpenInitialised(secondPath, context.CancellationToken);
        var (a, b) = DivergenceOutput.Names(firstPath, secondPath);
        if (repair)
        {
            Repair(context, first, second, a, b);
        }

        var comparison = first.CompareContent(second, a, b, cancellationToken: context.CancellationToken);
        return Report(context, comparison, maxRows, clock.Elapsed, bytes: null);
    }

    /// <summary>Re-offers what differs on both sides and syncs both ways, until nothing more can be repaired (at most 16 buckets per table each pass).</summary>
    private static void Repair(CliContext context, SyncDatabase first, SyncDatabase second, string a, string b)
    {
        for (int pass = 0; pass < 64; pass++)
        {
            var result = first.ReofferDifferences(second, context.CancellationToken);
            if (pass == 0 || result.ReofferedHere + result.ReofferedThere > 0)
            {
                context.Out.WriteLine($"repair: re-offered {Format.N(result.ReofferedHere)} rows of {a} and {Format.N(result.ReofferedThere)} rows of {b}");
            }

            foreach (var line in pass == 0 ? result.NotRepairable : [])
            {
                context.Out.WriteLine($"  not repaired: {line}");
            }

            if (result.ReofferedHere + result.ReofferedThere == 0)
            {
                return;
            }

            Transfer.Run(second, first, context.CancellationToken);
            Transfer.Run(first, second, context.CancellationToken);
            first.RecordPeerVector(second.SiteId, second.Vector, context.CancellationToken);
            second.RecordPeerVector(first.SiteId, first.Vector, context.CancellationToken);
        }
    }

    private static int RunPeer(CliContext context, string path, string url, Agent.AgentRole role, Agent.Security.AgentTlsOptions tls, int maxRows)
    {
        if (tls.IsConfigured && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException(ExitCodes.UsageError, $"--tls-cert/--tls-key/--tls-ca need an https:// peer URL, not '{url}'");
        }

        Databases.RequireFile(path);
        var clock = Stopwatch.StartNew();
        var (comparison, bytes) = Agent.PeerVerify.CompareAsync(path, url, Path.GetFileName(path), url, tls, role, cancellationToken: context.CancellationToken)
            .GetAwaiter().GetResult();
        return Report(context, comparison, maxRows, clock.Elapsed, bytes);
    }

    private static int Report(CliContext context, DigestComparison comparison, int maxRows, TimeSpan elapsed, long? bytes)
    {
        string cost = $"{elapsed.TotalSeconds:0.00} s{(bytes is { } b ? $", {Format.N(b)} bytes from the peer" : "")}";
        if (comparison.Identical)
        {
            context.Out.WriteLine($"identical: {comparison.FirstName} and {comparison.SecondName} hold the same rows in every column ({cost})");
            return ExitCodes.Ok;
        }

        DivergenceOutput.Write(context.Out, comparison, maxRows);
        context.Out.WriteLine($"{comparison.FirstName} and {comparison.SecondName} differ ({cost})");
        return ExitCodes.CheckFailed;
    }
}
