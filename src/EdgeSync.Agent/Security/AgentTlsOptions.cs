namespace EdgeSync.Agent.Security;

/// <summary>
/// Mutual TLS between agents (section <c>EdgeSync:Tls</c>; flags <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c>).
/// Set all three or none. PEM files, the key names of a cert-manager Secret (<c>tls.crt</c>, <c>tls.key</c>,
/// <c>ca.crt</c>) mounted into the pod. When set, every <c>https://</c> endpoint serves this certificate, the sync
/// endpoint requires a client certificate chaining to <see cref="CaFile"/>, peer URLs must be <c>https://</c>, and
/// this agent presents the certificate to its peers. The files are re-read about every 10 seconds, so a rotated
/// Secret is picked up without a restart.
/// </summary>
public sealed record AgentTlsOptions
{
    /// <summary>This site's certificate (PEM; the leaf first, then any intermediates), e.g. <c>/etc/edgesync/tls/tls.crt</c>.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>Its private key (PEM: PKCS#8, SEC1 or PKCS#1), e.g. <c>/etc/edgesync/tls/tls.key</c>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>The fleet's CA certificate(s) (PEM; several during a CA rotation). Only peers chaining to one are accepted.</summary>
    public string? CaFile { get; init; }

    /// <summary>True when any of the three files is set (validation then requires all three).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificateFile) || !string.IsNullOrWhiteSpace(KeyFile) || !string.IsNullOrWhiteSpace(CaFile);
}
