namespace EdgeSync.Agent.Console;

/// <summary>
/// The fleet as one agent sees it (<c>GET /v1/fleet</c>): problems first, then the topology (clusters of replicas, each
/// with its link's state) and, per database this agent hosts, what each peer lacks, conflicts, schema, divergence,
/// capture and backup. Ages are whole seconds and times are absolute, so an unchanged fleet serializes to the same
/// bytes (and the same ETag) from one second to the next.
/// </summary>
/// <param name="Agent">The agent answering.</param>
/// <param name="Problems">Whatever an alert rule would fire on, worst first.</param>
/// <param name="Clusters">The topology: this agent's cluster first, then the others by id.</param>
/// <param name="Databases">The databases this agent hosts.</param>
internal sealed record FleetSnapshot(
    FleetAgent Agent,
    IReadOnlyList<FleetProblem> Problems,
    IReadOnlyList<FleetCluster> Clusters,
    IReadOnlyList<FleetDatabase> Databases);

/// <summary>The agent that answered: its site, cluster and role (<c>hub</c>, <c>factory</c> or <c>peer</c>).</summary>
internal sealed record FleetAgent(string Site, string Cluster, string Role);

/// <summary>One cluster (the hub, a factory): <c>State</c> is the worst of its replicas' (<c>ok</c>, <c>behind</c>, <c>cut</c>).</summary>
internal sealed record FleetCluster(string Id, string Role, string State, IReadOnlyList<FleetReplica> Replicas);

/// <summary>
/// One replica (agent) and this agent's link to it. <c>State</c>: <c>self</c>, <c>ok</c> (connected, holds everything),
/// <c>behind</c> (connected, lacks changes) or <c>cut</c> (no open conversation either way).
/// </summary>
/// <param name="Site">Site id (or the peer URL until its first hello).</param>
/// <param name="State">self, ok, behind or cut.</param>
/// <param name="Link">How it is connected: <c>self</c>, <c>out</c> (this agent dials it), <c>in</c> (it dials this agent), <c>both</c> or <c>none</c>.</param>
/// <param name="Url">The URL this agent dials, when it does.</param>
/// <param name="LastError">The last failure of the link (kind), while it fails.</param>
/// <param name="LastSeen">When anything was last heard from it.</param>
/// <param name="LastSuccess">When the last exchange with it completed.</param>
/// <param name="Backlog">Changes it lacks, summed over the databases.</param>
/// <param name="LagSeconds">The longest it has lacked changes, over the databases.</param>
/// <param name="Via">
/// Set when this agent does not talk to the replica itself and shows it as a sibling of it reported (a factory replica
/// that does not dial the hub): that sibling's site. <c>State</c>, <c>Link</c>, backlog and lag are then that sibling's
/// view of the replica.
/// </param>
/// <param name="CaptureHeartbeatAgeSeconds">What the replica reported of itself: its oldest capture heartbeat (null: it sent no report).</param>
/// <param name="LastBackup">What the replica reported of itself: its databases' oldest last backup (null: none, or no report).</param>
internal sealed record FleetReplica(
    string Site, string State, string Link, string? Url, string? LastError, DateTimeOffset? LastSeen, DateTimeOffset? LastSuccess,
    long Backlog, long LagSeconds, string? Via = null, long? CaptureHeartbeatAgeSeconds = null, DateTimeOffset? LastBackup = null);
