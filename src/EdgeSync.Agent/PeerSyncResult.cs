namespace EdgeSync.Agent;

/// <summary>What one sync round with a peer did.</summary>
/// <param name="PeerSite">The peer's site id.</param>
/// <param name="Pulled">Row states received from the peer and applied here.</param>
/// <param name="Pushed">Row states sent to the peer.</param>
public sealed record PeerSyncResult(string PeerSite, long Pulled, long Pushed);
