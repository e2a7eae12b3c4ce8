using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeSync.Agent.Security;

/// <summary>
/// Checks a peer's certificate against the fleet CA only (<see cref="X509ChainTrustMode.CustomRootTrust"/>: the
/// machine's root store is never consulted), for the usage its side needs (client authentication for a caller,
/// server authentication for a server), and reads the EdgeSync identity it carries. Revocation is not checked
/// (<see cref="X509RevocationMode.NoCheck"/>): edge sites often cannot reach a CRL or OCSP responder, and fleet
/// certificates are short-lived (cert-manager renews them); to shut a site out, rotate the CA or stop issuing to it.
/// </summary>
internal static class PeerCertificateCheck
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Refusal reasons, the <c>reason</c> label of <c>edgesync_peers_refused_total</c>.</summary>
    public const string NoCertificate = "no_certificate", Untrusted = "untrusted", Expired = "expired", WrongUsage = "wrong_usage",
        NoIdentity = "no_identity", SiteMismatch = "site_mismatch", Invalid = "invalid";

    /// <summary>
    /// The identity in a valid certificate, or the refusal reason and a detail a user can act on.
    /// <paramref name="presented"/> holds the intermediates the peer sent with its certificate (may be null).
    /// </summary>
    public static (CertificateIdentity? Identity, string? Reason, string Detail) Check(
        X509Certificate2? certificate, X509Chain? presented, TlsMaterial material, bool client, DateTime now)
    {
        if (certificate is null)
        {
            return (null, NoCertificate, "no certificate presented");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(material.Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(client ? ClientAuth : ServerAuth);
        chain.ChainPolicy.ExtraStore.AddRange(material.Intermediates);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }

            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        string subject = certificate.Subject;
        if (!chain.Build(certificate))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
            string status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            {
                return (null, Untrusted, $"'{subject}' (issuer '{certificate.Issuer}') does not chain to the fleet CA");
            }

            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                return (null, Expired, $"'{subject}' is outside its validity ({certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})");
            }

            if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
            {
                return (null, WrongUsage, $"'{subject}' is not valid for {(client ? "client" : "server")} authentication");
            }

            return (null, Invalid, $"'{subject}': {status}");
        }

        var identity = SiteCertificate.IdentityOf(certificate);
        return identity is null
            ? (null, NoIdentity, $"'{subject}' names no site (no URI SAN {SiteCertificate.Prefix}site/CLUSTER/REPLICA or {SiteCertificate.Prefix}cluster/CLUSTER)")
            : (identity, null, identity.ToString());
    }
}
