using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeSync.Agent.Security;

/// <summary>
/// This agent's certificate (with intermediates) and the fleet's CA certificates, loaded from the PEM files of
/// <see cref="AgentTlsOptions"/>. <see cref="Load"/> throws with a message naming the file; a loaded instance is
/// immutable. <see cref="TlsFiles"/> re-reads it when the files change.
/// </summary>
internal sealed class TlsMaterial
{
    private TlsMaterial(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection authorities, byte[] fingerprint)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        Authorities = authorities;
        Identity = SiteCertificate.IdentityOf(certificate);
        Fingerprint = fingerprint;
        Context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediates from this agent's certificate file; a peer's chain may use them too (one fleet, one issuer chain).</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>The fleet's CA certificates: the only roots a peer's chain may end in.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>What this agent's own certificate vouches for (null when it has no EdgeSync URI SAN).</summary>
    public CertificateIdentity? Identity { get; }

    /// <summary>SHA-256 of the three files' contents: equal fingerprints mean nothing changed.</summary>
    public byte[] Fingerprint { get; }

    /// <summary>The certificate with its chain, for <c>SslStream</c> (server and client side).</summary>
    public SslStreamCertificateContext Context { get; }

    public static byte[] FingerprintOf(AgentTlsOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { options.CertificateFile!, options.KeyFile!, options.CaFile! })
        {
            hash.AppendData(Read(path, "file"));
            hash.AppendData([0]);
        }

        return hash.GetHashAndReset();
    }

    public static TlsMaterial Load(AgentTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fingerprint = FingerprintOf(options);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(System.Text.Encoding.ASCII.GetString(Read(options.CertificateFile!, "CertificateFile")));
        if (chain.Count == 0)
        {
            throw new InvalidDataException($"EdgeSync:Tls:CertificateFile: '{options.CertificateFile}' holds no PEM certificate");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(options.CertificateFile!, options.KeyFile);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // ArgumentException: a well-formed key that belongs to another certificate (e.g. mid-rotation).
            throw new InvalidDataException($"EdgeSync:Tls:KeyFile: '{options.KeyFile}' is not the PEM private key of '{options.CertificateFile}' ({e.Message})", e);
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral key: round-trip through PKCS#12 to get a persisted one.
            using var ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPem(System.Text.Encoding.ASCII.GetString(Read(options.CaFile!, "CaFile")));
        if (authorities.Count == 0)
        {
            throw new InvalidDataException($"EdgeSync:Tls:CaFile: '{options.CaFile}' holds no PEM certificate");
        }

        return new TlsMaterial(leaf, intermediates, authorities, fingerprint);
    }

    private static byte[] Read(string path, string key)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"EdgeSync:Tls:{key}: cannot read '{path}': {e.Message}", e);
        }
    }
}
