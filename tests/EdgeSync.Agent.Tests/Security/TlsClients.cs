using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Security;

/// <summary>A test's own clients of an agent over TLS: with or without a client certificate, trusting servers from <paramref name="ca"/>.</summary>
internal static class TlsClients
{
    public static SocketsHttpHandler Handler(X509Certificate2? clientCertificate, X509Certificate2 ca) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && ChainsTo(certificate, ca),
        },
    };

    public static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    public static GrpcChannel Channel(string url, X509Certificate2? clientCertificate, X509Certificate2 ca) =>
        GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = Handler(clientCertificate, ca) });

    public static HttpClient Http(string url, X509Certificate2? clientCertificate, X509Certificate2 ca) =>
        new(Handler(clientCertificate, ca)) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

    public static HandshakeRequest Hello(string site, string database = "app") => new()
    {
        SiteId = site,
        ProtocolVersion = Wire.ProtocolVersion,
        Database = database,
        Role = Role.Peer,
    };
}
