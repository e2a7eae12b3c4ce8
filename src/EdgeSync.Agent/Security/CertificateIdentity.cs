namespace EdgeSync.Agent.Security;

/// <summary>
/// What a fleet certificate vouches for, read from its URI subject alternative name (see <see cref="SiteCertificate"/>):
/// one site (<c>CLUSTER/REPLICA</c>, <see cref="Site"/> set) or a whole cluster (<see cref="Site"/> null), e.g. the
/// one certificate every replica of a StatefulSet mounts from a cert-manager Secret.
/// </summary>
/// <param name="Cluster">The cluster id (<c>factory-001</c>).</param>
/// <param name="Site">The site id (<c>factory-001/sqlite-edge-0</c>), or null for a cluster-wide certificate.</param>
public sealed record CertificateIdentity(string Cluster, string? Site)
{
    /// <summary>
    /// True when a caller presenting this certificate may speak for <paramref name="site"/>: the same site or one of
    /// its restored incarnations (<c>factory-001/sqlite-edge-0~2</c>); for a cluster-wide certificate any site of
    /// that cluster (<c>factory-001/*</c>), and a site id that is the cluster id alone (<c>hq</c>, <c>hq~2</c>).
    /// </summary>
    public bool Covers(string site)
    {
        ArgumentNullException.ThrowIfNull(site);
        if (Site is null)
        {
            return (site.Length > Cluster.Length + 1 && site.StartsWith(Cluster + "/", StringComparison.Ordinal)) || IsOrIncarnationOf(site, Cluster);
        }

        return IsOrIncarnationOf(site, Site);
    }

    /// <summary><paramref name="site"/> is <paramref name="id"/> or <c>id~N</c> with N a number (Storage/SiteIncarnation.cs in EdgeSync.Core).</summary>
    private static bool IsOrIncarnationOf(string site, string id) =>
        string.Equals(site, id, StringComparison.Ordinal)
        || (site.Length > id.Length + 1
            && site.StartsWith(id, StringComparison.Ordinal)
            && site[id.Length] == '~'
            && site.AsSpan(id.Length + 1).IndexOfAnyExceptInRange('0', '9') < 0);

    /// <summary>The URI this identity is written as in a certificate.</summary>
    public Uri ToUri() => Site is null ? SiteCertificate.ClusterUri(Cluster) : SiteCertificate.SiteUri(Site);

    /// <summary><c>site factory-001/sqlite-edge-0</c> or <c>cluster factory-001</c>.</summary>
    public override string ToString() => Site is null ? $"cluster {Cluster}" : $"site {Site}";
}
