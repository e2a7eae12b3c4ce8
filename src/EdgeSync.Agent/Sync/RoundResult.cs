namespace EdgeSync.Agent.Sync;

/// <summary>What one sync round with a peer did. <see cref="IsSelf"/>: the peer turned out to be this agent.</summary>
internal readonly record struct RoundResult(string PeerSite, long Pulled, long Pushed, bool IsSelf)
{
    public static RoundResult Self(string site) => new(site, 0, 0, IsSelf: true);
}
