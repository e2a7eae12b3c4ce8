using EdgeSync.Verify;

namespace EdgeSync.Agent.Verify;

/// <summary>What one content comparison with a peer found, and whether the two replicas were quiescent.</summary>
/// <param name="PeerSite">The peer's site id.</param>
/// <param name="Quiescent">True when both held the same changes (equal vectors): only then is a difference a divergence.</param>
/// <param name="Comparison">The comparison (empty tables when not quiescent: nothing was compared).</param>
/// <param name="ComparedTables">The tables compared (synced on either side and flowing both ways).</param>
/// <param name="Bytes">Bytes received from the peer.</param>
internal sealed record ContentCheckResult(string PeerSite, bool Quiescent, DigestComparison Comparison, IReadOnlyList<string> ComparedTables, long Bytes);
