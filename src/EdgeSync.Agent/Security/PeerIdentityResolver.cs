using Grpc.Core;

namespace EdgeSync.Agent.Security;

/// <summary>Finds the <see cref="PeerIdentity"/> of the caller of a gRPC sync call.</summary>
internal static class PeerIdentityResolver
{
    /// <summary>
    /// The caller's identity. Without mutual TLS this is the claimed site, unauthenticated.
    /// </summary>
    public static PeerIdentity Resolve(ServerCallContext context, string claimedSite)
    {
        ArgumentNullException.ThrowIfNull(context);
        return PeerIdentity.Claimed(claimedSite);
    }
}
