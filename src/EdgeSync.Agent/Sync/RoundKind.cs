namespace EdgeSync.Agent.Sync;

/// <summary>Which round of a <see cref="PeerLink"/> runs. Each kind is due, queued and run on its own; two rounds of one kind never overlap.</summary>
internal enum RoundKind
{
    /// <summary>A pull when the peer holds something this replica lacks, then a push the other way: the round a local change, a full list that shows a difference, or a hub's relay starts.</summary>
    Exchange,

    /// <summary>
    /// Only a pull, started at once when a peer announces changes this replica lacks (from a hub: the hub's own writes,
    /// such as a configuration change). It does not wait for the link's <see cref="Exchange"/>, whose push may be
    /// queued at a busy hub behind every other factory's pushes.
    /// </summary>
    Pull,
}
