using System.CommandLine;
using EdgeSync.Agent.Security;

namespace EdgeSync.Cli.Internal;

/// <summary>The <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c> flags of <c>serve</c> and <c>sync</c> (all three or none).</summary>
internal sealed class TlsFlags
{
    public Option<string?> Certificate { get; } = new("--tls-cert")
    {
        Description = "This site's certificate (PEM, e.g. tls.crt from 'edgesync certs site' or a cert-manager Secret); turns on mutual TLS.",
        HelpName = "FILE",
    };

    public Option<string?> Key { get; } = new("--tls-key") { Description = "Its private key (PEM, tls.key).", HelpName = "FILE" };

    public Option<string?> Authority { get; } = new("--tls-ca")
    {
        Description = "The fleet CA certificate (PEM, ca.crt): only peers with a certificate from it are accepted.",
        HelpName = "FILE",
    };

    public IEnumerable<Option> All => [Certificate, Key, Authority];

    /// <summary>The options given; a usage error when only some of the three are.</summary>
    public AgentTlsOptions Read(ParseResult parsed)
    {
        var tls = new AgentTlsOptions
        {
            CertificateFile = parsed.GetValue(Certificate),
            KeyFile = parsed.GetValue(Key),
            CaFile = parsed.GetValue(Authority),
        };
        if (tls.IsConfigured && (tls.CertificateFile is null || tls.KeyFile is null || tls.CaFile is null))
        {
            throw new CliException(ExitCodes.UsageError, "give all of --tls-cert, --tls-key and --tls-ca, or none");
        }

        return tls;
    }
}
