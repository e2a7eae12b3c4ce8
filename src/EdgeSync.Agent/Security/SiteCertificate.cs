using System.Security.Cryptography.X509Certificates;

namespace EdgeSync.Agent.Security;

/// <summary>
/// How a fleet certificate names a site: a URI subject alternative name in the SPIFFE form
/// <c>spiffe://edgesync/site/CLUSTER/REPLICA</c> (one site and its incarnations) or
/// <c>spiffe://edgesync/cluster/CLUSTER</c> (every site of a cluster). Cluster and replica are DNS-label-like:
/// letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.
/// </summary>
public static class SiteCertificate
{
    /// <summary>The URI scheme and trust domain of every EdgeSync identity.</summary>
    public const string Prefix = "spiffe://edgesync/";

    /// <summary>The URI naming one site, e.g. <c>spiffe://edgesync/site/factory-001/sqlite-edge-0</c>.</summary>
    public static Uri SiteUri(string site)
    {
        var identity = Parse(site) ?? throw new ArgumentException(
            $"'{site}' is not a site id CLUSTER/REPLICA (letters, digits, '-', '_', '.'; no incarnation suffix)", nameof(site));
        return new Uri($"{Prefix}site/{identity.Site}");
    }

    /// <summary>The URI naming every site of a cluster, e.g. <c>spiffe://edgesync/cluster/factory-001</c>.</summary>
    public static Uri ClusterUri(string cluster)
    {
        if (!IsSegment(cluster))
        {
            throw new ArgumentException($"'{cluster}' is not a cluster id (letters, digits, '-', '_', '.')", nameof(cluster));
        }

        return new Uri($"{Prefix}cluster/{cluster}");
    }

    /// <summary>
    /// Parses what a certificate is requested for: <c>CLUSTER/REPLICA</c> (a site) or <c>CLUSTER</c> (a cluster-wide
    /// certificate). Null when it is neither.
    /// </summary>
    public static CertificateIdentity? Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('/');
        return parts switch
        {
            [var c] when IsSegment(c) => new CertificateIdentity(c, null),
            [var c, var r] when IsSegment(c) && IsSegment(r) => new CertificateIdentity(c, value),
            _ => null,
        };
    }

    /// <summary>The identity in <paramref name="certificate"/>'s URI SANs, or null when it names none (or more than one).</summary>
    public static CertificateIdentity? IdentityOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return null;
        }

        CertificateIdentity? found = null;
        foreach (var uri in EnumerateUris(san))
        {
            var identity = FromUri(uri);
            if (identity is null)
            {
                continue;
            }

            if (found is not null && found != identity)
            {
                return null; // two different identities in one certificate: trust neither
            }

            found = identity;
        }

        return found;
    }

    private static CertificateIdentity? FromUri(string uri)
    {
        if (!uri.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = uri[Prefix.Length..];
        if (rest.StartsWith("site/", StringComparison.Ordinal))
        {
            return Parse(rest["site/".Length..]) is { Site: not null } site ? site : null;
        }

        if (rest.StartsWith("cluster/", StringComparison.Ordinal))
        {
            return Parse(rest["cluster/".Length..]) is { Site: null } cluster ? cluster : null;
        }

        return null;
    }

    private static IEnumerable<string> EnumerateUris(X509SubjectAlternativeNameExtension san)
    {
        // X509SubjectAlternativeNameExtension exposes DNS names and IP addresses only; URIs are read from the ASN.1.
        var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag == uriTag)
            {
                yield return names.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag);
            }
            else
            {
                names.ReadEncodedValue();
            }
        }
    }

    private static bool IsSegment(string s) =>
        s.Length is > 0 and <= 253 && s.AsSpan().IndexOfAnyExcept(Segment) < 0 && s[0] != '.' && s[0] != '-';

    private static readonly System.Buffers.SearchValues<char> Segment =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
}
