using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeSync.Agent.Security;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>A fleet CA in a temporary folder and site certificates it signs, as PEM files the agent reads.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TempDir _dir = new();

    public TestCertificates(string name = "test fleet CA")
    {
        Authority = DevCertificates.CreateAuthority(name, 30);
        CaFile = Path.Combine(_dir.Path, "ca.crt");
        File.WriteAllText(CaFile, DevCertificates.CertificatePem(Authority));
    }

    public X509Certificate2 Authority { get; }

    public string CaFile { get; }

    /// <summary>A certificate for a site (or a cluster), written as tls.crt/tls.key in its own folder; <paramref name="caFile"/> is what the site trusts.</summary>
    public SiteFiles Issue(string identity, string? caFile = null, int days = 30)
    {
        using var cert = DevCertificates.CreateSite(Authority, identity, ["localhost"], [IPAddress.Loopback], days);
        string dir = Path.Combine(_dir.Path, identity.Replace('/', '_') + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        var files = new SiteFiles(Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.key"), caFile ?? CaFile);
        File.WriteAllText(files.Certificate, DevCertificates.CertificatePem(cert));
        File.WriteAllText(files.Key, DevCertificates.PrivateKeyPem(cert));
        return files;
    }

    public void Dispose()
    {
        Authority.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The three files of a site, and the agent settings that use them.</summary>
public sealed record SiteFiles(string Certificate, string Key, string Ca)
{
    public Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var s = new Dictionary<string, string?>
        {
            ["EdgeSync:Tls:CertificateFile"] = Certificate,
            ["EdgeSync:Tls:KeyFile"] = Key,
            ["EdgeSync:Tls:CaFile"] = Ca,
        };
        foreach (var (k, v) in more ?? [])
        {
            s[k] = v;
        }

        return s;
    }

    /// <summary>The certificate with its key, for a test's own HTTP or gRPC client.</summary>
    public X509Certificate2 Load() => X509Certificate2.CreateFromPemFile(Certificate, Key);
}
