namespace EdgeSync.Agent.Console;

/// <summary>
/// What the alert rules of <c>deploy/monitoring/alerts.yaml</c> would fire on, found in a snapshot (pure: no I/O), worst
/// first. The console shows them at once, where Prometheus waits out each rule's <c>for:</c>; each links its section of
/// <c>docs/runbook.md</c>.
/// </summary>
internal static class FleetProblems
{
    /// <summary>Lag past which <c>EdgeSyncReplicationLagHigh</c> fires (its rule: 300 s).</summary>
    public const long LagLimitSeconds = 300;

    /// <summary>Seconds behind past which <c>EdgeSyncExportStalled</c> fires (its rule: 300 s).</summary>
    public const long ExportLimitSeconds = 300;

    /// <summary>Backup age past which <c>EdgeSyncBackupStale</c> fires (its rule: 3 h).</summary>
    public static readonly TimeSpan BackupLimit = TimeSpan.FromHours(3);

    /// <summary>Where the runbook lives, relative to the repository (the page links the anchor on the project's docs).</summary>
    public const string RunbookPath = "docs/runbook.md";

    public static IReadOnlyList<FleetProblem> Find(IReadOnlyList<FleetCluster> clusters, IReadOnlyList<FleetDatabase> databases, DateTimeOffset? now = null)
    {
        var list = new List<FleetProblem>();
        foreach (var c in clusters)
        {
            foreach (var r in c.Replicas.Where(r => r.State == "cut"))
            {
                list.Add(Problem("critical", "EdgeSyncPeerUnreachable", $"{r.Site} is cut off: {r.LastError ?? "no open conversation"}",
                    c.Id, r.Site, null, null));
            }
        }

        foreach (var d in databases)
        {
            foreach (var p in d.Peers.Where(p => p.LagSeconds > LagLimitSeconds))
            {
                list.Add(Problem("warning", "EdgeSyncReplicationLagHigh", $"{p.Site} lacks {p.Backlog} changes of {d.Name}, for {p.LagSeconds} s",
                    p.Cluster, p.Site, d.Name, null));
            }

            foreach (var p in d.Peers.Where(p => p.RefusedRule is not null))
            {
                list.Add(Problem("warning", "EdgeSyncBatchesUnauthorized", $"{p.Site} refused this replica's changes of {d.Name} ({p.RefusedRule}): {p.RefusedDetail}",
                    p.Cluster, p.Site, d.Name, null));
            }

            foreach (var t in d.Tables.Where(t => t.Drift is not null))
            {
                list.Add(Problem("critical", "EdgeSyncSchemaDrift", $"a schema change of {d.Name}.{t.Name} is not carried ({t.Drift})", null, d.Site, d.Name, t.Name));
            }

            foreach (var v in d.Divergences)
            {
                list.Add(Problem("critical", "EdgeSyncDivergence", $"{d.Site} and {v.Peer} hold different rows in {d.Name}: {string.Join("; ", v.Tables)}",
                    FleetSnapshotBuilder.ClusterOf(v.Peer), v.Peer, d.Name, null));
            }

            if (d.Export is { Holder: true, LagSeconds: > ExportLimitSeconds } export)
            {
                list.Add(Problem("critical", "EdgeSyncExportStalled", $"the export of {d.Name} to NATS has not caught up for {export.LagSeconds} s ({export.LagChanges} changes behind)",
                    null, d.Site, d.Name, null));
            }

            if (now is { } n && d.LastBackup is { } backup && n - backup > BackupLimit)
            {
                list.Add(Problem("warning", "EdgeSyncBackupStale", $"no backup of {d.Name} on {d.Site} since {backup:yyyy-MM-dd HH:mm} UTC", null, d.Site, d.Name, null));
            }
        }

        return list.OrderBy(p => p.Severity == "critical" ? 0 : 1).ThenBy(p => p.Alert, StringComparer.Ordinal)
            .ThenBy(p => p.Site, StringComparer.Ordinal).ToList();
    }

    private static FleetProblem Problem(string severity, string alert, string summary, string? cluster, string? site, string? database, string? table) =>
        new(severity, alert, summary, $"{RunbookPath}#{alert.ToLowerInvariant()}", cluster, site, database, table);
}
