using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Security;

/// <summary>Finds the <see cref="PeerIdentity"/> of the caller of a gRPC sync call.</summary>
internal static class PeerIdentityResolver
{
    /// <summary>
    /// The caller's identity. With mutual TLS, from its verified client certificate: the claimed site (its
    /// <c>edgesync-site</c> header or handshake field) must be covered by the certificate (the same site, one of its
    /// <c>~N</c> incarnations, or any site of a cluster-wide certificate's cluster), else the call is refused with
    /// <c>PERMISSION_DENIED</c> naming both (counted as <c>edgesync_peers_refused_total{reason="site_mismatch"}</c>).
    /// An empty claim takes the certificate's site. Without mutual TLS this is the claimed site, unauthenticated.
    /// </summary>
    public static PeerIdentity Resolve(ServerCallContext context, string claimedSite)
    {
        ArgumentNullException.ThrowIfNull(context);
        claimedSite ??= "";
        var http = context.GetHttpContext();
        var certificate = http.Connection.ClientCertificate;
        if (certificate is null)
        {
            if (http.RequestServices.GetService<AgentSecurity>()?.Tls is not null)
            {
                // An https endpoint where a client certificate is optional (the HTTP endpoint): no anonymous sync.
                Refuse(http, PeerCertificateCheck.NoCertificate);
                throw new RpcException(new Status(StatusCode.PermissionDenied, "sync calls need a client certificate from the fleet CA"));
            }

            return PeerIdentity.Claimed(claimedSite);
        }

        var identity = SiteCertificate.IdentityOf(certificate);
        if (identity is null)
        {
            Refuse(http, PeerCertificateCheck.NoIdentity);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the client certificate '{certificate.Subject}' names no EdgeSync site"));
        }

        if (claimedSite.Length == 0)
        {
            return new PeerIdentity(identity.Site ?? "", identity.Cluster, Authenticated: true);
        }

        if (!identity.Covers(claimedSite))
        {
            Refuse(http, PeerCertificateCheck.SiteMismatch);
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"the caller claims site '{claimedSite}' but its certificate is for {identity}"));
        }

        return new PeerIdentity(claimedSite, identity.Cluster, Authenticated: true);
    }

    private static void Refuse(Microsoft.AspNetCore.Http.HttpContext http, string reason) =>
        http.RequestServices.GetRequiredService<Diagnostics.AgentMetrics>().PeerRefused(reason, "server");
}
