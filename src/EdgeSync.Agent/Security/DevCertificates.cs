using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeSync.Agent.Security;

/// <summary>
/// A development certificate authority for demos and tests (<c>edgesync certs</c>): ECDSA P-256 keys, a CA
/// certificate, and site certificates it signs with the server and client authentication usages and the site's URI
/// (see <see cref="SiteCertificate"/>). For production use cert-manager or your PKI with the same names.
/// </summary>
public static class DevCertificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed CA certificate with its private key, valid for <paramref name="days"/> days.</summary>
    public static X509Certificate2 CreateAuthority(string name, int days)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
    }

    /// <summary>
    /// A certificate for <paramref name="identity"/> (<c>CLUSTER/REPLICA</c> for one site, <c>CLUSTER</c> for every
    /// site of a cluster) signed by <paramref name="authority"/> (which must carry its private key), with DNS and IP
    /// SANs for the server side, valid for <paramref name="days"/> days but never past the CA.
    /// </summary>
    public static X509Certificate2 CreateSite(
        X509Certificate2 authority, string identity, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, int days)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var id = SiteCertificate.Parse(identity)
            ?? throw new ArgumentException($"'{identity}' is not CLUSTER/REPLICA or CLUSTER (letters, digits, '-', '_', '.')", nameof(identity));
        using var caKey = authority.GetECDsaPrivateKey()
            ?? throw new ArgumentException("the CA certificate has no ECDSA private key", nameof(authority));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(identity)}, OU=edgesync"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(id.ToUri());
        foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            san.AddDnsName(dns);
        }

        foreach (var ip in addresses.Distinct())
        {
            san.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(san.Build(false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < authority.NotAfter ? now.AddDays(days) : new DateTimeOffset(authority.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var generator = X509SignatureGenerator.CreateForECDsa(caKey);
        using var signed = request.Create(authority.SubjectName, generator, now.AddMinutes(-5), notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>The certificate as PEM (<c>-----BEGIN CERTIFICATE-----</c>).</summary>
    public static string CertificatePem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.ExportCertificatePem() + "\n";
    }

    /// <summary>The certificate's ECDSA private key as unencrypted PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    public static string PrivateKeyPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("the certificate has no ECDSA private key", nameof(certificate));
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    private static string Escape(string value) => value.Replace("\"", "", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal)
        .Replace("=", "\\=", StringComparison.Ordinal).Replace("+", "\\+", StringComparison.Ordinal);
}
