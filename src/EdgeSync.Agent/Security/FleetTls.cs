using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Security;

/// <summary>
/// Mutual TLS between agents: per-connection server options (this site's current certificate; a client certificate
/// chaining to the fleet CA, required on the sync endpoint) and client options (this site's certificate; a server
/// certificate chaining to the fleet CA). Every refusal is logged with its reason and counted in
/// <c>edgesync_peers_refused_total{reason,side}</c>. Server names are not checked against the URL: peers found through
/// DNS are dialled by pod address, and the fleet CA issues only fleet identities, so the identity that matters is the
/// site in the certificate, which the caller checks against the handshake (<see cref="ServerIdentity"/>).
/// </summary>
internal sealed class FleetTls(TlsFiles files, ILogger logger, TimeProvider time, AgentMetrics metrics)
{
    private static readonly List<SslApplicationProtocol> Protocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    public TlsMaterial Current => files.Current;

    /// <summary>Options for one incoming connection; <paramref name="requireClientCertificate"/> on the sync endpoint.</summary>
    public SslServerAuthenticationOptions ForServer(bool requireClientCertificate, string remote)
    {
        var material = files.Current;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = material.Context,
            ClientCertificateRequired = true,
            ApplicationProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is null && !requireClientCertificate)
                {
                    return true; // probes, Prometheus, bearer-token clients on the HTTP endpoint
                }

                var (_, reason, detail) = PeerCertificateCheck.Check(Convert(certificate), chain, material, client: true, time.GetUtcNow().UtcDateTime);
                if (reason is null)
                {
                    return true;
                }

                Refuse(reason, "server");
                Log.PeerRefused(logger, remote, reason, detail);
                return false;
            },
        };
    }

    /// <summary>
    /// Options for connections to the peer at <paramref name="url"/>. <paramref name="identity"/> receives the identity
    /// of each server certificate accepted, <paramref name="refused"/> the reason and detail of each one refused.
    /// </summary>
    public SslClientAuthenticationOptions ForClient(string url, Action<CertificateIdentity> identity, Action<string>? refused = null) => new()
    {
        ApplicationProtocols = Protocols,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        LocalCertificateSelectionCallback = (_, _, _, _, _) => files.Current.Certificate,
        RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            var (id, reason, detail) = PeerCertificateCheck.Check(Convert(certificate), chain, files.Current, client: false, time.GetUtcNow().UtcDateTime);
            if (id is not null)
            {
                identity(id);
                return true;
            }

            Refuse(reason!, "client");
            Log.ServerRefused(logger, url, reason!, detail);
            refused?.Invoke($"{reason}: {detail}");
            return false;
        },
    };

    /// <summary>
    /// Refuses a server whose handshake names a site its certificate does not cover (a fleet member impersonating
    /// another, e.g. the hub).
    /// </summary>
    public void ServerIdentity(string url, CertificateIdentity? certificate, string site)
    {
        if (certificate is null || certificate.Covers(site))
        {
            return;
        }

        Refuse(PeerCertificateCheck.SiteMismatch, "client");
        string detail = $"the server says it is site '{site}' but its certificate is for {certificate}";
        Log.ServerRefused(logger, url, PeerCertificateCheck.SiteMismatch, detail);
        throw new global::Grpc.Core.RpcException(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.PermissionDenied, detail));
    }

    private void Refuse(string reason, string side) => metrics.PeerRefused(reason, side);

    private static X509Certificate2? Convert(X509Certificate? certificate) => certificate switch
    {
        null => null,
        X509Certificate2 c => c,
        _ => X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
    };
}
