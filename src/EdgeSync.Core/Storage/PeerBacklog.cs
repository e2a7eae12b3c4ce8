namespace EdgeSync.Storage;

/// <summary>How far a peer is behind this replica, from the vector it last reported.</summary>
/// <param name="Peer">The peer's site id.</param>
/// <param name="Backlog">Sequence numbers this replica holds that the peer has not reported (an upper bound on changes to send).</param>
/// <param name="OldestUnsentAge">Age of the oldest change the peer lacks (replication lag); zero when it lacks nothing.</param>
public sealed record PeerBacklog(string Peer, long Backlog, TimeSpan OldestUnsentAge);
