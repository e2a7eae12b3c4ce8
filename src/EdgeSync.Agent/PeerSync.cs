using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Security;
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
    /// The peer must host a database with the same file name. When <paramref name="tls"/> is configured the round runs
    /// over mutual TLS: this replica presents the certificate and accepts only a server certificate from the fleet CA
    /// whose identity covers the site the server names in the handshake; without it, plaintext.
    /// </summary>
    public static async Task<PeerSyncResult> RunOnceAsync(
        string databasePath, string peerUrl, AgentTlsOptions? tls = null, AgentRole role = AgentRole.Peer, Action<string, long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(peerUrl);
        tls ??= new AgentTlsOptions();
        var options = new AgentOptions { Databases = [databasePath], Role = role };
        using var metrics = new Diagnostics.AgentMetrics(); // a private meter: nothing exports a one-off round's measurements
        var fleet = tls.IsConfigured
            ? new FleetTls(new TlsFiles(tls, NullLogger.Instance, TimeProvider.System), NullLogger.Instance, TimeProvider.System, metrics)
            : null;
        using var hosted = HostedDatabase.Open(databasePath, options, NullLoggerFactory.Instance, TimeProvider.System, metrics, cancellationToken: cancellationToken);
        hosted.Db.Capture(cancellationToken); // a one-off round sends everything committed before it started (waits for another writer)
        using var client = new PeerClient(hosted, peerUrl, fleet) { Progress = progress };
        RoundResult round;
        try
        {
            round = await client.RunRoundAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (global::Grpc.Core.RpcException e) when (client.TlsRefusal is { } refusal)
        {
            throw new global::Grpc.Core.RpcException(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.PermissionDenied,
                $"refused the certificate of {peerUrl} ({refusal})", e));
        }
        catch (global::Grpc.Core.RpcException e) when (fleet is not null && client.PeerSite is null
            && (e.StatusCode == global::Grpc.Core.StatusCode.Unavailable
                || (e.StatusCode == global::Grpc.Core.StatusCode.Internal && e.Status.DebugException is System.Net.Http.HttpRequestException)))
        {
            // A server that refuses the client certificate just closes the connection: say where to look. The client
            // sees Unavailable, or Internal ("the server did not complete the HTTP/2 handshake") when the close comes
            // after TLS but before HTTP/2's preface.
            throw new global::Grpc.Core.RpcException(new global::Grpc.Core.Status(e.StatusCode,
                $"{e.Status.Detail} (if {peerUrl} refused this site's certificate, its log line 'Refused peer connection' says why: "
                + "another CA, expired, no site)", e));
        }

        if (round.IsSelf)
        {
            throw new InvalidOperationException($"{peerUrl} is this replica itself (site '{round.PeerSite}')");
        }

        return new PeerSyncResult(round.PeerSite, round.Pulled, round.Pushed);
    }
}
