namespace EdgeSync.Agent.Sync;

/// <summary>
/// Which way a round of a <see cref="PeerLink"/> moves changes. A link's pulls and pushes are separate rounds that do
/// not wait for each other: a push queued behind other peers' at a busy hub must not hold back a pull of what the hub
/// announced meanwhile (a configuration change, say).
/// </summary>
internal enum RoundKind
{
    /// <summary>Fetches what the peer holds and this replica lacks.</summary>
    Pull,

    /// <summary>Sends what this replica holds and the peer lacks.</summary>
    Push,
}
