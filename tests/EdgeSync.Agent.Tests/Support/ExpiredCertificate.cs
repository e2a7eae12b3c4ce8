using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeSync.Agent.Security;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>A site certificate from the fleet CA that expired yesterday.</summary>
public static class ExpiredCertificate
{
    public static X509Certificate2 Create(X509Certificate2 authority, string site)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={site}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(SiteCertificate.SiteUri(site));
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var caKey = authority.GetECDsaPrivateKey()!;

        // The generator overload, because the CA itself is younger than this certificate's validity window.
        using var signed = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddDays(-10), now.AddDays(-1),
            RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }
}
