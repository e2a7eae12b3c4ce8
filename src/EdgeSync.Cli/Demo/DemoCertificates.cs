using System.Net;
using System.Security.Cryptography;
using EdgeSync.Agent;
using EdgeSync.Agent.Security;
using EdgeSync.Cli.Certs;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// <c>edgesync demo --tls</c>: a development CA in DIR/certs, one cluster-wide certificate per cluster (what a
/// cert-manager Secret shared by a StatefulSet holds) and an ingest token, as the agents' settings.
/// </summary>
internal sealed class DemoCertificates
{
    private readonly string _directory;

    private DemoCertificates(string directory, string token)
    {
        _directory = directory;
        Token = token;
    }

    /// <summary>The bearer token every agent's ingest accepts.</summary>
    public string Token { get; }

    public string TokenFile => Path.Combine(_directory, "ingest.token");

    public static DemoCertificates Create(string directory, IEnumerable<string> clusters)
    {
        string dir = Path.Combine(directory, "certs");
        using var ca = DevCertificates.CreateAuthority("EdgeSync demo CA", 1);
        string caPem = DevCertificates.CertificatePem(ca);
        CertificateFiles.Write(dir, CertificateFiles.CaCert, caPem, secret: false);
        foreach (var cluster in clusters)
        {
            using var cert = DevCertificates.CreateSite(ca, cluster, ["localhost"], [IPAddress.Loopback], 1);
            string clusterDir = Path.Combine(dir, cluster);
            CertificateFiles.Write(clusterDir, CertificateFiles.TlsCert, DevCertificates.CertificatePem(cert), secret: false);
            CertificateFiles.Write(clusterDir, CertificateFiles.TlsKey, DevCertificates.PrivateKeyPem(cert), secret: true);
            CertificateFiles.Write(clusterDir, CertificateFiles.CaCert, caPem, secret: false);
        }

        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var certificates = new DemoCertificates(dir, token);
        CertificateFiles.Write(dir, "ingest.token", token + "\n", secret: true);
        return certificates;
    }

    /// <summary>The settings that turn on mutual TLS and the token for an agent of <paramref name="cluster"/>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings(string cluster)
    {
        const string S = AgentOptions.SectionName;
        string clusterDir = Path.Combine(_directory, cluster);
        yield return new($"{S}:Tls:CertificateFile", Path.Combine(clusterDir, CertificateFiles.TlsCert));
        yield return new($"{S}:Tls:KeyFile", Path.Combine(clusterDir, CertificateFiles.TlsKey));
        yield return new($"{S}:Tls:CaFile", Path.Combine(clusterDir, CertificateFiles.CaCert));
        yield return new($"{S}:Auth:TokenFile", TokenFile);
    }
}
