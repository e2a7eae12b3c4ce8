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
/// <param name="Acknowledged">
/// This site's changes not yet held at each acknowledgement level (<c>replicas:1</c>, <c>hub</c>, <c>exported</c>), as the
/// lifecycle loop last computed them (the <c>edgesync_ack_lag_changes</c> gauge); empty before its first pass.
/// </param>
/// <param name="Export">The hub's NATS export of this database as this agent knows it; null when it does not export.</param>
internal sealed record FleetDatabase(
    string Name, string Site, long CaptureHeartbeatAgeSeconds, DateTimeOffset? LastBackup, IReadOnlyList<FleetTable> Tables,
    int PeerCount, int PeersBehind, IReadOnlyList<FleetPeer> Peers, IReadOnlyList<FleetDivergence> Divergences,
    IReadOnlyList<FleetAcknowledgement> Acknowledged, FleetExport? Export);

/// <summary>Changes of this site that <c>Level</c> does not hold yet.</summary>
internal sealed record FleetAcknowledgement(string Level, long Changes);

/// <summary>
/// The export of one database to NATS JetStream: whether this agent holds the export lease (only the holder exports and
/// knows the lag), the changes not exported yet and seconds since it last caught up, and rows this agent published since
/// it started.
/// </summary>
internal sealed record FleetExport(bool Holder, long LagChanges, long LagSeconds, long Published);

/// <summary>
/// A table's retention (<c>EdgeSync:Tables:NAME:Retention</c>): deletes rows older than <c>MaxAge</c> and past
/// <c>MaxRows</c>, only those <c>Level</c> holds; <c>Pruned</c> counts the rows deleted since the agent started.
/// </summary>
internal sealed record FleetRetention(string Level, long? MaxRows, string? MaxAge, long Pruned);

/// <summary>
/// A synced table: policy, direction, schema version, drift (a schema change sync does not carry; null when none) and
/// the conflict audit's recent decisions about it (<c>RecentConflicts</c> counts them among the database's last
/// <see cref="FleetSnapshotBuilder.ConflictWindow"/>; <c>Conflicts</c> lists the newest few), and its retention, if any.
/// </summary>
internal sealed record FleetTable(
    string Name, string Policy, string Direction, int SchemaVersion, string? Drift, int RecentConflicts, IReadOnlyList<FleetConflict> Conflicts,
    FleetRetention? Retention);

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
