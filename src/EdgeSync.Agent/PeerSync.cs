using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent;

/// <summary>One sync round with a peer agent, without running an agent (what <c>edgesync sync --peer</c> does).</summary>
public static class PeerSync
{
    /// <summary>
    /// Handshakes with the agent at <paramref name="peerUrl"/>, pulls what it has that the database at
    /// <paramref name="databasePath"/> lacks, then pushes the other way. Each batch is applied in its own transaction,
    /// so an interrupted round keeps what it applied. <paramref name="progress"/> receives ("pull"|"push", rows so far).
    /// The peer must host a database with the same file name.
    /// </summary>
    public static async Task<PeerSyncResult> RunOnceAsync(
        string databasePath, string peerUrl, AgentRole role = AgentRole.Peer, Action<string, long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(peerUrl);
        var options = new AgentOptions { Databases = [databasePath], Role = role };
        using var hosted = HostedDatabase.Open(databasePath, options, NullLoggerFactory.Instance, TimeProvider.System);
        using var client = new PeerClient(hosted, peerUrl) { Progress = progress };
        var round = await client.RunRoundAsync(cancellationToken).ConfigureAwait(false);
        if (round.IsSelf)
        {
            throw new InvalidOperationException($"{peerUrl} is this replica itself (site '{round.PeerSite}')");
        }

        return new PeerSyncResult(round.PeerSite, round.Pulled, round.Pushed);
    }
}
