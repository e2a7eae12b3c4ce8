using EdgeSync.Agent.Sync;

namespace EdgeSync.Agent.Security;

/// <summary>
/// Who is on the other end of a sync call: the site id it speaks for and that site's cluster.
/// <see cref="Authenticated"/> is true only when a verified client certificate vouches for it; otherwise the
/// identity is what the caller claimed (its <c>edgesync-site</c> header or handshake field).
/// </summary>
/// <param name="Site">The caller's site id (<c>CLUSTER/REPLICA</c>).</param>
/// <param name="Cluster">The caller's cluster id.</param>
/// <param name="Authenticated">True when a verified certificate says so.</param>
public sealed record PeerIdentity(string Site, string Cluster, bool Authenticated)
{
    /// <summary>An unauthenticated identity taken from what the caller claimed.</summary>
    public static PeerIdentity Claimed(string site) => new(site, DirectionFilter.ClusterOf(site), Authenticated: false);
}
