namespace EdgeSync.Agent.Console;

/// <summary>One database this agent hosts, as the console shows it.</summary>
/// <param name="Name">Logical name (file name without extension), the same on every replica.</param>
/// <param name="Site">This replica's site id for it.</param>
/// <param name="CaptureHeartbeatAgeSeconds">Seconds since the capture loop last checked for commits.</param>
/// <param name="LastBackup">When the last backup was taken (null: never).</param>
/// <param name="Tables">Synced tables: direction, schema, drift, recent conflicts.</param>
/// <param name="PeerCount">Peers known for it.</param>
/// <param name="PeersBehind">Of those, how many lack changes.</param>
/// <param name="Peers">
/// Each peer known for it: what it lacks, when it last synced, refused pushes. The whole fleet's view lists only the
/// peers that are not fine (lacking changes, failing, refusing); a cluster's view lists all of that cluster's.
/// </param>
/// <param name="Divergences">Rows found to differ from a peer's by the periodic content check (anti-entropy).</param>
internal sealed record FleetDatabase(
    string Name, string Site, long CaptureHeartbeatAgeSeconds, DateTimeOffset? LastBackup, IReadOnlyList<FleetTable> Tables,
    int PeerCount, int PeersBehind, IReadOnlyList<FleetPeer> Peers, IReadOnlyList<FleetDivergence> Divergences);

/// <summary>
/// A synced table: policy, direction, schema version, drift (a schema change sync does not carry; null when none) and
/// the conflict audit's recent decisions about it (<c>RecentConflicts</c> counts them among the database's last
/// <see cref="FleetSnapshotBuilder.ConflictWindow"/>; <c>Conflicts</c> lists the newest few).
/// </summary>
internal sealed record FleetTable(
    string Name, string Policy, string Direction, int SchemaVersion, string? Drift, int RecentConflicts, IReadOnlyList<FleetConflict> Conflicts);

/// <summary>One decision of the conflict audit: which write of which site won, by which rule.</summary>
internal sealed record FleetConflict(
    DateTimeOffset At, string Key, string? Column, string Rule, string? Winner, string WinnerSite, string? Loser, string LoserSite);

/// <summary>
/// One peer of one database: changes it lacks and for how long, its last completed exchange, the state recorded for it
/// (<c>ok</c> or the last error) and the rule under which it refused this replica's pushes, if it did.
/// </summary>
internal sealed record FleetPeer(
    string Site, string Cluster, long Backlog, long LagSeconds, DateTimeOffset? LastSuccess, string? LastError, string? RefusedRule,
    string? RefusedDetail)
{
    /// <summary>Holds everything, no error, nothing refused: left out of the whole fleet's view.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFine => Backlog == 0 && LastError is null && RefusedRule is null;
}

/// <summary>The last content check against <c>Peer</c> found rows that differ (<c>Tables</c>: per table, what differs).</summary>
internal sealed record FleetDivergence(string Peer, DateTimeOffset CheckedAt, IReadOnlyList<string> Tables);
