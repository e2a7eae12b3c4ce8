using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The agent's identity material, created once from <see cref="AgentOptions.Tls"/> and <see cref="AgentOptions.Auth"/>:
/// <see cref="Tls"/> when mutual TLS is configured, <see cref="Token"/> when a token file is. With neither the agent
/// is open (<see cref="IsOpen"/>), as in the demo.
/// </summary>
internal sealed class AgentSecurity
{
    public AgentSecurity(IOptions<AgentOptions> options, ILoggerFactory loggers, TimeProvider time, Diagnostics.AgentMetrics metrics)
    {
        var o = options.Value;
        var logger = loggers.CreateLogger("EdgeSync.Agent.Security");
        Logger = logger;
        if (o.Tls.IsConfigured)
        {
            Tls = new FleetTls(new TlsFiles(o.Tls, logger, time), logger, time, metrics);
        }

        if (!string.IsNullOrWhiteSpace(o.Auth.TokenFile))
        {
            Token = new BearerTokenFile(o.Auth.TokenFile, time);
        }
    }

    public FleetTls? Tls { get; }

    public BearerTokenFile? Token { get; }

    public ILogger Logger { get; }

    /// <summary>No TLS and no token: ingest and admin endpoints accept anyone (development).</summary>
    public bool IsOpen => Tls is null && Token is null;

    /// <summary>
    /// Refuses to start when this agent's own certificate does not cover the site of a database it hosts (the id
    /// stored in the file, which <see cref="AgentOptions.Site"/> may leave unset): its peers would refuse it anyway.
    /// </summary>
    public void CheckOwnSites(IEnumerable<(string Database, string Site)> hosted)
    {
        if (Tls?.Current.Identity is not { } identity)
        {
            return;
        }

        foreach (var (database, site) in hosted)
        {
            if (!identity.Covers(site))
            {
                throw new InvalidOperationException(
                    $"EdgeSync:Tls:CertificateFile: the certificate is for {identity}, but database '{database}' belongs to site '{site}'; "
                    + "issue a certificate for that site or its cluster");
            }
        }
    }

    /// <summary>Logs how the agent authenticates, once at start.</summary>
    public void LogMode(AgentOptions options)
    {
        if (Tls is { } tls)
        {
            var m = tls.Current;
            Log.TlsOn(Logger, m.Certificate.Subject, m.Identity?.ToString() ?? "no EdgeSync identity", m.Certificate.NotAfter.ToUniversalTime(),
                string.Join("; ", m.Authorities.Select(a => a.Subject)));
        }

        if (IsOpen)
        {
            Log.IngestOpen(Logger, string.Join(", ", options.HttpListen.Concat(options.Listen).DefaultIfEmpty("the HTTP endpoint")));
            Log.ConsoleOpen(Logger, string.Join(", ", options.HttpListen.Concat(options.Listen).DefaultIfEmpty("the HTTP endpoint")));
        }
    }
}
