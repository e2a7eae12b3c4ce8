using System.CommandLine;
using System.Diagnostics;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Commands;

/// <summary><c>edgesync sync</c>: one two-way round with a peer agent (<c>--peer URL</c>) or another local file (<c>--with PATH</c>).</summary>
internal static class SyncCommand
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Database("This replica's database file.");
        var with = new Option<string?>("--with")
        {
            Description = "The other replica's database file (both must be set up with 'edgesync init', with different site ids).",
            HelpName = "PATH",
        };
        var peer = new Option<string?>("--peer")
        {
            Description = "A running agent's sync URL (edgesync serve --listen); it must serve a database with the same file name.",
            HelpName = "URL",
        };
        var role = new Option<Agent.AgentRole>("--role")
        {
            Description = "With --peer: the role this replica syncs as (hub, factory or peer), which decides table directions.",
            HelpName = "ROLE",
            DefaultValueFactory = _ => Agent.AgentRole.Peer,
        };
        var tls = new TlsFlags();
        var command = new Command("sync", "One two-way sync round now: pull what the other side has that --db lacks, then push the other "
            + "way. The other side is a running agent (--peer URL) or a local file (--with PATH). Safe to interrupt and repeat.")
        {
            db, with, peer, role, tls.Certificate, tls.Key, tls.Authority,
        };
        command.SetAction(parsed => (parsed.GetValue(with), parsed.GetValue(peer)) switch
        {
            ({ } file, null) => tls.Read(parsed).IsConfigured
                ? throw new CliException(ExitCodes.UsageError, "--tls-cert, --tls-key and --tls-ca go with --peer URL, not --with PATH")
                : Run(context, parsed.GetRequiredValue(db), file),
            (null, { } url) => RunWithPeer(context, parsed.GetRequiredValue(db), url, parsed.GetValue(role), tls.Read(parsed)),
            _ => throw new CliException(ExitCodes.UsageError, "give exactly one of --with PATH or --peer URL"),
        });
        return command;
    }

    private static int RunWithPeer(CliContext context, string localPath, string url, Agent.AgentRole role, Agent.Security.AgentTlsOptions tls)
    {
        if (tls.IsConfigured && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException(ExitCodes.UsageError, $"--tls-cert/--tls-key/--tls-ca need an https:// peer URL, not '{url}'");
        }

        Databases.RequireFile(localPath);
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        context.Out.WriteLine($"sync {localPath} with {url}");
        var result = Agent.PeerSync.RunOnceAsync(localPath, url, tls, role, (direction, rows) =>
        {
            if (clock.Elapsed - lastReport >= ProgressInterval)
            {
                lastReport = clock.Elapsed;
                context.Out.WriteLine($"  {direction}: {Format.N(rows)} rows so far");
            }
        }, context.CancellationToken).GetAwaiter().GetResult();
        context.Out.WriteLine($"synced with {result.PeerSite}: {Format.N(result.Pulled)} rows pulled, {Format.N(result.Pushed)} rows pushed "
            + $"in {clock.Elapsed.TotalSeconds:0.00} s");
        return ExitCodes.Ok;
    }

    private static int Run(CliContext context, string localPath, string remotePath)
    {
        if (string.Equals(Path.GetFullPath(localPath), Path.GetFullPath(remotePath), StringComparison.Ordinal))
        {
            throw new CliException(ExitCodes.UsageError, $"--db and --with are the same file ('{localPath}'); sync needs two replicas");
        }

        using var local = Databases.OpenInitialised(localPath, context.CancellationToken);
        using var remote = Databases.OpenInitialised(remotePath, context.CancellationToken);
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
        local.RecordPeerVector(remote.SiteId, remote.Vector, context.CancellationToken);
        remote.RecordPeerVector(local.SiteId, local.Vector, context.CancellationToken);

        bool same = local.Vector.Dominates(remote.Vector) && remote.Vector.Dominates(local.Vector);
        if (!same)
        {
            output.WriteLine("not fully in sync: new writes arrived during the round; run sync again");
            return ExitCodes.Ok;
        }

        var schema = SchemaDifferences(localPath, local.CheckSchema(), remotePath, remote.CheckSchema());
        if (schema.Count > 0)
        {
            bool stopped = schema.Any(d => d.Stopped);
            output.WriteLine(stopped
                ? "NOT in sync: a schema change is not carried (sync of the tables below is stopped or their values are kept aside):"
                : "the schemas differ (replicas at different versions keep syncing the columns they share):");
            foreach (var d in schema)
            {
                output.WriteLine("  " + d.Text);
            }

            if (stopped)
            {
                return ExitCodes.CheckFailed;
            }
        }

        // Equal vectors say both hold the same changes, not that the rows are equal (a write that bypassed capture, a
        // file put back that reused sequence numbers, a schema change on one side): compare every column of every row.
        var (a, b) = DivergenceOutput.Names(localPath, remotePath);
        var comparison = local.CompareContent(remote, a, b, cancellationToken: context.CancellationToken);
        if (comparison.Identical)
        {
            output.WriteLine("in sync: both hold the same changes");
            return ExitCodes.Ok;
        }

        DivergenceOutput.Write(output, comparison, maxRows: 20);
        output.WriteLine(schema.Count > 0
            ? "not in sync yet: the rows above differ where the schemas differ; they converge once both replicas have the same columns (edgesync schema show)"
            : "not in sync: both hold the same changes, but the rows above differ (sync cannot repair them; edgesync verify lists them)");
        return ExitCodes.CheckFailed;
    }

    /// <summary>What differs between two replicas' synced tables: drift, type conflicts, columns only one side has.</summary>
    private static List<(bool Stopped, string Text)> SchemaDifferences(string aPath, IReadOnlyList<Schema.TableSchemaStatus> a, string bPath, IReadOnlyList<Schema.TableSchemaStatus> b)
    {
        var list = new List<(bool, string)>();
        foreach (var (path, mine, theirs) in new[] { (aPath, a, b), (bPath, b, a) })
        {
            foreach (var t in mine)
            {
                if (t.Drift is { } d)
                {
                    list.Add((true, $"{path}: table {t.Table}: sync stopped ({d.Change}): {d.Detail}; what to do: {d.Remedy}"));
                }

                foreach (var s in t.Stashed.Where(s => s.TypeConflict))
                {
                    list.Add((true, $"{path}: column {t.Table}.{s.Column} is {s.LocalType} here but {s.PeerType} at the other; its values are kept aside, not applied"));
                }

                var other = theirs.FirstOrDefault(o => string.Equals(o.Table, t.Table, StringComparison.OrdinalIgnoreCase));
                if (other is null || t.Drift is not null || other.Drift is not null)
                {
                    continue;
                }

                var only = t.Columns.Where(c => !other.Columns.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
                if (only.Count > 0)
                {
                    list.Add((false, $"{path}: table {t.Table} has columns {string.Join(", ", only)} that the other replica does not have "
                        + "(not added there yet: their values are kept there and written when it adds them; or dropped there)"));
                }
            }
        }

        return list;
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
