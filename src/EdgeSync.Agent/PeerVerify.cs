using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Verify;
using EdgeSync.Verify;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent;

/// <summary>Compares a local database's content with a peer agent's (what <c>edgesync verify --peer</c> does).</summary>
public static class PeerVerify
{
    /// <summary>
    /// Compares every column of every row of the tables that flow both ways between <paramref name="role"/> and the
    /// peer's role, between the database at <paramref name="databasePath"/> and the agent at <paramref name="peerUrl"/>
    /// (which must host a database with the same file name), over the <c>Digest</c> call, authenticated as a sync round
    /// is (<paramref name="tls"/>). <paramref name="localName"/> and <paramref name="remoteName"/> name the two in messages.
    /// Returns the comparison and the bytes received from the peer.
    /// </summary>
    public static async Task<(DigestComparison Comparison, long BytesReceived)> CompareAsync(
        string databasePath, string peerUrl, string localName, string remoteName, AgentTlsOptions? tls = null, AgentRole role = AgentRole.Peer,
        int bucketCount = ReplicaDigest.DefaultBucketCount, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(peerUrl);
        tls ??= new AgentTlsOptions();
        var options = new AgentOptions { Databases = [databasePath], Role = role };
        using var metrics = new Diagnostics.AgentMetrics();
        var fleet = tls.IsConfigured
            ? new FleetTls(new TlsFiles(tls, NullLogger.Instance, TimeProvider.System), NullLogger.Instance, TimeProvider.System, metrics)
            : null;
        using var hosted = HostedDatabase.Open(databasePath, options, NullLoggerFactory.Instance, TimeProvider.System, metrics, cancellationToken: cancellationToken);
        using var remote = new RemoteDigest(peerUrl, options, fleet);
        var result = await ContentCheck.RunAsync(hosted, remote, onlyWhenQuiescent: false, bucketCount, localName, remoteName, cancellationToken)
            .ConfigureAwait(false);
        if (result.PeerSite == hosted.Site)
        {
            throw new InvalidOperationException($"{peerUrl} is this replica itself (site '{result.PeerSite}')");
        }

        return (result.Comparison, result.Bytes);
    }
}
