using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Limits;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using EdgeSync.Schema;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Console;

/// <summary>
/// Builds the <see cref="FleetSnapshot"/> from the agent's own state: the peer board of each database (vectors, backlog,
/// lag, last success, capture heartbeat), the outgoing conversations (<see cref="PeerSupervisor"/>: open, or the kind of
/// failure), the calls peers hold open here (<see cref="PeerStreamLimiter"/>: a factory's conversation with the hub), and
/// what the database records (<c>cluster_sync</c> states, refused pushes, the conflict audit, schema drift, divergence,
/// last backup), and what the lifecycle loop and the export last published (acknowledgement lag, rows pruned, export
/// lag). A peer's cluster is the part of its site id before the first <c>/</c> (<c>factory-001/sqlite-edge-0</c>).
/// </summary>
internal sealed class FleetSnapshotBuilder(
    DatabaseRegistry registry, PeerStreamLimiter limiter, IOptions<AgentOptions> options, Lifecycle.LifecycleMetrics lifecycle, Export.ExportMetrics export,
    ReplicaReports reports, TimeProvider time)
    : IFleetSnapshotSource
{
    /// <summary>How many of a database's newest conflict decisions are read (counted per table; the newest few listed).</summary>
    public const int ConflictWindow = 200;

    /// <summary>Newest conflict decisions listed per table.</summary>
    public const int ConflictsListed = 5;

    /// <summary>How long what a database records is reused while its vector does not move (see <see cref="Records"/>).</summary>
    public static readonly TimeSpan RecordsMaxAge = TimeSpan.FromSeconds(1);

    private readonly Dictionary<HostedDatabase, (VersionVector Vector, long ReadAt, DatabaseRecords Records)> _records = [];

    /// <summary>A connected replica that has lacked changes for this long shows as <c>behind</c> (changes in flight are not).</summary>
    public const long BehindAfterSeconds = 10;

    public FleetSnapshot Build()
    {
        var databases = registry.All;
        var replicas = new Dictionary<string, ReplicaAccumulator>(StringComparer.Ordinal);
        var views = new List<FleetDatabase>(databases.Count);
        foreach (var hosted in databases)
        {
            try
            {
                views.Add(Database(hosted, replicas));
            }
            catch (ObjectDisposedException)
            {
                // Let go of (stopping, or its file removed) while this was read: the next snapshot leaves it out.
            }
        }

        var (agent, clusters) = Topology(replicas, relay: true);
        return new FleetSnapshot(agent, FleetProblems.Find(clusters, views, time.GetUtcNow()), clusters, views);
    }

    /// <summary>
    /// What this agent reports about its own cluster to a hub it calls (<see cref="ReplicaReports"/>): the links to its
    /// siblings from the peer boards and conversations alone (none of the databases' records is read), its oldest
    /// capture heartbeat and oldest last backup.
    /// </summary>
    public Protocol.V1.ReplicaReport Report()
    {
        var replicas = new Dictionary<string, ReplicaAccumulator>(StringComparer.Ordinal);
        long heartbeat = 0;
        var backups = new List<double?>(); // per database, Unix seconds (0 = never, null = not looked at yet)
        foreach (var hosted in registry.All)
        {
            try
            {
                Accumulate(hosted, replicas);
                heartbeat = Math.Max(heartbeat, (long)hosted.Board.CaptureHeartbeatAge().TotalSeconds);
                backups.Add(registry.Metrics.LastBackupOf(hosted.Board));
            }
            catch (ObjectDisposedException)
            {
                // Let go of meanwhile.
            }
        }

        var (agent, clusters) = Topology(replicas, relay: false);
        var report = ReplicaReports.Of(agent, clusters[0]);
        report.CaptureHeartbeatAgeSeconds = heartbeat;
        report.LastBackupUnixSeconds = backups.Count > 0 && backups.All(b => b > 0) ? (long)backups.Min()!.Value : 0; // 0 when one has none
        return report;
    }

    /// <summary>This agent, and the clusters of the replicas it knows (its own first); with <paramref name="relay"/>, also those its callers reported.</summary>
    private (FleetAgent Agent, List<FleetCluster> Clusters) Topology(Dictionary<string, ReplicaAccumulator> replicas, bool relay)
    {
        var o = options.Value;
        string self = ConversationMessages.SiteOf(registry, o);
        string cluster = string.IsNullOrWhiteSpace(o.ClusterId) ? ClusterOf(self) : o.ClusterId;
        var hubUrl = o.Hub;
        var hubSites = new HashSet<string>(StringComparer.Ordinal);
        foreach (var conversation in registry.Peers?.Conversations ?? [])
        {
            string site = conversation.PeerSite ?? conversation.Url;
            var r = Replica(replicas, site);
            r.Url = conversation.Url;
            r.Out = conversation.IsLive;
            r.Dialled = true;
            r.Error = conversation.IsLive ? null : conversation.Failing ?? "connecting";
            if (hubUrl is not null && string.Equals(conversation.Url.TrimEnd('/'), hubUrl.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            {
                hubSites.Add(ClusterOf(site));
            }
        }

        foreach (var (site, open) in limiter.Snapshot())
        {
            if (open > 0 && site != self)
            {
                Replica(replicas, site).In = true;
            }
        }

        var relayed = relay ? Relayed(replicas, self) : []; // first: it marks the reporters' own entries
        var all = replicas.Values.Select(r => r.ToReplica()).Concat(relayed).ToList();

        string role = Role(o.EffectiveRole);
        var clusters = all
            .GroupBy(r => ClusterOf(r.Site), StringComparer.Ordinal)
            .Select(g => Cluster(g.Key, hubSites.Contains(g.Key) ? "hub" : o.EffectiveRole == AgentRole.Hub ? "factory" : g.Key == cluster ? role : "peer", g))
            .ToList();
        var own = clusters.FirstOrDefault(c => c.Id == cluster);
        var selfReplica = new FleetReplica(self, "self", "self", null, null, null, null, 0, 0);
        clusters.Remove(own!);
        own = Cluster(cluster, role, [selfReplica, .. own?.Replicas ?? []]);
        clusters.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        clusters.Insert(0, own);
        return (new FleetAgent(self, cluster, role), clusters);
    }

    /// <summary>
    /// The replicas this agent knows only from its callers' reports (a factory replica that does not dial the hub), as the
    /// reporting sibling sees them; marks each reporter's own entry with what it said of itself. A replica this agent
    /// knows first-hand (it talks to it, or it did) is shown first-hand only.
    /// </summary>
    private List<FleetReplica> Relayed(Dictionary<string, ReplicaAccumulator> replicas, string self)
    {
        var relayed = new Dictionary<string, FleetReplica>(StringComparer.Ordinal);
        foreach (var report in reports.Current())
        {
            if (replicas.TryGetValue(report.SiteId, out var reporter))
            {
                reporter.Reported = report;
            }

            foreach (var r in report.Replicas)
            {
                if (r.SiteId != self && !replicas.ContainsKey(r.SiteId) && !relayed.ContainsKey(r.SiteId))
                {
                    relayed[r.SiteId] = new FleetReplica(r.SiteId, r.State, r.Link, null, r.LastError.Length > 0 ? r.LastError : null, null,
                        r.LastSuccessUnixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(r.LastSuccessUnixSeconds) : null, r.Backlog, r.LagSeconds,
                        Via: report.SiteId);
                }
            }
        }

        return relayed.Values.ToList();
    }

    /// <summary>The cluster of a site id: what comes before its first <c>/</c>, or the whole id.</summary>
    public static string ClusterOf(string site)
    {
        int slash = site.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? site[..slash] : site;
    }

    private static string Role(AgentRole role) => role switch { AgentRole.Hub => "hub", AgentRole.Factory => "factory", _ => "peer" };

    private static FleetCluster Cluster(string id, string role, IEnumerable<FleetReplica> replicas)
    {
        var list = replicas.OrderBy(r => r.State == "self" ? 0 : 1).ThenBy(r => r.Site, StringComparer.Ordinal).ToList();
        string state = list.Any(r => r.State == "cut") ? "cut" : list.Any(r => r.State == "behind") ? "behind" : "ok";
        return new FleetCluster(id, role, state, list);
    }

    private static ReplicaAccumulator Replica(Dictionary<string, ReplicaAccumulator> replicas, string site)
    {
        if (!replicas.TryGetValue(site, out var r))
        {
            replicas[site] = r = new ReplicaAccumulator(site);
        }

        return r;
    }

    /// <summary>Adds what one database's peer board says of each peer (changes it lacks, lag, last contact) to the replicas' totals.</summary>
    private static void Accumulate(HostedDatabase hosted, Dictionary<string, ReplicaAccumulator> replicas)
    {
        foreach (var status in hosted.Board.Snapshot())
        {
            Accumulate(hosted.Board, status, replicas);
        }
    }

    /// <summary>One peer of one database: its backlog, lag and last success, also added to that replica's totals.</summary>
    private static (long Backlog, long Lag, DateTimeOffset? LastSuccess) Accumulate(PeerBoard board, PeerStatus status, Dictionary<string, ReplicaAccumulator> replicas)
    {
        DateTimeOffset? lastSuccess, lastSeen;
        lock (status)
        {
            (lastSuccess, lastSeen) = (status.LastSuccess, status.LastSeen);
        }

        long backlog = (long)board.Backlog(status);
        long lag = (long)board.LagSeconds(status);
        var r = Replica(replicas, status.Site);
        r.Backlog += backlog;
        r.Lag = Math.Max(r.Lag, lag);
        r.LastSeen = Max(r.LastSeen, Second(lastSeen));
        r.LastSuccess = Max(r.LastSuccess, Second(lastSuccess));
        return (backlog, lag, Second(lastSuccess));
    }

    private FleetDatabase Database(HostedDatabase hosted, Dictionary<string, ReplicaAccumulator> replicas)
    {
        var db = hosted.Db;
        var board = hosted.Board;
        var (errors, rejections, conflicts, schema, divergences, lastBackup) = Records(hosted);
        var peers = new List<FleetPeer>();
        foreach (var status in board.Snapshot().OrderBy(p => p.Site, StringComparer.Ordinal))
        {
            var (backlog, lag, lastSuccess) = Accumulate(board, status, replicas);
            var refused = rejections.FirstOrDefault(r => r.Peer == status.Site);
            peers.Add(new FleetPeer(status.Site, ClusterOf(status.Site), backlog, lag, lastSuccess, errors.GetValueOrDefault(status.Site), refused?.Rule, refused?.Detail));
        }

        var configured = options.Value.Tables;
        var tables = db.Tables.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t =>
        {
            var retention = configured.TryGetValue(t.Name, out var o) && o.Retention is { } r
                ? new FleetRetention(r.Level.ToLowerInvariant(), r.MaxRows, r.MaxAge?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                    lifecycle.PrunedOf(hosted.Name, t.Name))
                : null;
            var mine = conflicts.Where(c => string.Equals(c.Table, t.Name, StringComparison.Ordinal)).ToList();
            var drift = schema.GetValueOrDefault(t.Name)?.Drift;
            return new FleetTable(t.Name, t.Policy.ToName(), hosted.DirectionOf(t.Name).ToString().ToLowerInvariant(), t.SchemaVersion,
                drift is null ? null : $"{drift.Change}: {drift.Detail}", mine.Count,
                mine.Take(ConflictsListed).Select(c => new FleetConflict(Second(c.At)!.Value, c.Key, c.Column, c.Rule, Show(c.WinnerValue), c.WinnerSite,
                    Show(c.LoserValue), c.LoserSite)).ToList(), retention);
        }).ToList();
        var acknowledged = lifecycle.AckLagOf(hosted.Name, Lifecycle.LifecycleService.LagLevelNames).Select(a => new FleetAcknowledgement(a.Level, a.Changes)).ToList();
        var exported = export.Of(hosted.Name) is { } e ? new FleetExport(e.Holder, e.LagChanges, e.LagSeconds, e.Published) : null;
        return new FleetDatabase(hosted.Name, hosted.Site, (long)board.CaptureHeartbeatAge().TotalSeconds, lastBackup, tables,
            peers.Count, peers.Count(p => p.Backlog > 0), peers, divergences, acknowledged, exported);
    }

    /// <summary>
    /// What the database itself records (<c>cluster_sync</c> errors, refused pushes, the conflict audit, schema, divergence,
    /// last backup): read again when its vector moved (a conflict comes with the change that caused it) or after
    /// <see cref="RecordsMaxAge"/>, so a hub with many databases does not read each of them on every snapshot.
    /// </summary>
    private DatabaseRecords Records(HostedDatabase hosted)
    {
        var vector = hosted.TryVector() ?? throw new ObjectDisposedException(hosted.Name);
        lock (_records)
        {
            if (_records.TryGetValue(hosted, out var cached) && cached.Vector.Dominates(vector) && vector.Dominates(cached.Vector) && time.GetElapsedTime(cached.ReadAt) < RecordsMaxAge)
            {
                return cached.Records;
            }
        }

        var db = hosted.Db;
        var errors = new Dictionary<string, string>(StringComparer.Ordinal); // per peer, its last error state
        foreach (var entry in db.Status.GetSyncStatus())
        {
            if (entry.State.StartsWith("error", StringComparison.Ordinal))
            {
                errors.TryAdd(entry.ClusterId, entry.State);
            }
        }

        var records = new DatabaseRecords(errors, db.Status.GetRejections(), db.Status.GetConflicts(ConflictWindow),
            db.GetSchemaStatus().ToDictionary(s => s.Table, StringComparer.Ordinal),
            db.Divergences.Select(d => new FleetDivergence(d.Peer, Second(d.CheckedAt)!.Value, d.Tables)).ToList(), Second(db.Status.LastBackupAt));
        lock (_records)
        {
            foreach (var gone in _records.Keys.Where(k => !registry.All.Contains(k)).ToList())
            {
                _records.Remove(gone);
            }

            _records[hosted] = (vector, time.GetTimestamp(), records);
        }

        return records;
    }

    private static string? Show(object? value) => value switch
    {
        null => null,
        byte[] bytes => $"({bytes.Length} bytes)",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>Times to the second: the snapshot (and its ETag) changes when something happened, not with every millisecond.</summary>
    private static DateTimeOffset? Second(DateTimeOffset? t) =>
        t is { } v ? new DateTimeOffset(v.UtcTicks - (v.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) : null;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private sealed record DatabaseRecords(
        Dictionary<string, string> Errors, IReadOnlyList<Storage.SyncRejection> Rejections, IReadOnlyList<Merge.ConflictRecord> Conflicts,
        Dictionary<string, TableSchemaStatus> Schema, List<FleetDivergence> Divergences, DateTimeOffset? LastBackup);

    /// <summary>What is known of one replica, gathered over the databases and links.</summary>
    private sealed class ReplicaAccumulator(string site)
    {
        public string Site { get; } = site;

        public string? Url { get; set; }

        public bool Dialled { get; set; }

        public bool Out { get; set; }

        public bool In { get; set; }

        public string? Error { get; set; }

        public long Backlog { get; set; }

        public long Lag { get; set; }

        public DateTimeOffset? LastSeen { get; set; }

        public DateTimeOffset? LastSuccess { get; set; }

        /// <summary>What the replica last reported of itself, while its conversation with this agent is open.</summary>
        public Protocol.V1.ReplicaReport? Reported { get; set; }

        public FleetReplica ToReplica()
        {
            string link = Out && In ? "both" : Out ? "out" : In ? "in" : "none";
            string state = !Out && !In ? "cut" : Lag >= BehindAfterSeconds ? "behind" : "ok";
            return new FleetReplica(Site, state, link, Url, Out || In ? null : Error ?? "no open conversation", LastSeen, LastSuccess, Backlog, Lag,
                CaptureHeartbeatAgeSeconds: Reported?.CaptureHeartbeatAgeSeconds,
                LastBackup: Reported is { LastBackupUnixSeconds: > 0 } b ? DateTimeOffset.FromUnixTimeSeconds(b.LastBackupUnixSeconds) : null);
        }
    }
}
