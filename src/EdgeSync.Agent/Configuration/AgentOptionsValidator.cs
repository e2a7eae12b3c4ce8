using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Security;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Configuration;

/// <summary>Checks <see cref="AgentOptions"/> at start, with messages that say which key to fix.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = new List<string>();
        if ((options.Databases.Count == 0 && options.DatabaseDirectories.Count == 0) || options.Databases.Any(string.IsNullOrWhiteSpace)
            || options.DatabaseDirectories.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("EdgeSync:Databases: give at least one database path (--db PATH) or directory (--db-dir DIR)");
        }

        if (options.BackupIntervalMinutes < 0 || options.BackupRetention < 1)
        {
            errors.Add("EdgeSync:BackupIntervalMinutes must be 0 (off) or more, and BackupRetention at least 1");
        }
        else if (options.BackupIntervalMinutes > 0 && string.IsNullOrWhiteSpace(options.BackupDirectory))
        {
            errors.Add("EdgeSync:BackupDirectory: scheduled backups are on (BackupIntervalMinutes > 0) but no directory is set");
        }

        if (options.CompactionIntervalMinutes < 0)
        {
            errors.Add("EdgeSync:CompactionIntervalMinutes must be 0 (off) or more");
        }

        if (options.DivergenceCheckMinutes < 0)
        {
            errors.Add("EdgeSync:DivergenceCheckMinutes must be 0 (off) or more");
        }

        var names = options.Databases.Where(p => !string.IsNullOrWhiteSpace(p)).GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal);
        foreach (var dup in names.Where(g => g.Count() > 1))
        {
            errors.Add($"EdgeSync:Databases: {string.Join(" and ", dup)} have the same name '{dup.Key}'; peers find databases by file name, so give each a distinct one");
        }

        foreach (var url in options.Peers.Append(options.Hub).Where(u => u is not null))
        {
            if (!PeerAddress.IsValidUrl(url!))
            {
                errors.Add($"EdgeSync:Peers/Hub: '{url}' is not an absolute http:// or https:// URL");
            }
        }

        foreach (var url in options.Listen.Concat(options.HttpListen))
        {
            if (!PeerAddress.IsValidUrl(url))
            {
                errors.Add($"EdgeSync:Listen/HttpListen: '{url}' is not an absolute http:// or https:// URL");
            }
        }

        ValidateSecurity(errors, options);
        ValidateLifecycle(errors, options);

        if (options.PeerDns is not null && !PeerAddress.TryParseDns(options.PeerDns, out _, out _))
        {
            errors.Add($"EdgeSync:PeerDns: '{options.PeerDns}' is not NAME:PORT (e.g. edgesync-headless.factory-1.svc.cluster.local:5000)");
        }

        if (options.Role == AgentRole.Hub && !string.IsNullOrWhiteSpace(options.Hub))
        {
            errors.Add("EdgeSync:Role is hub but EdgeSync:Hub is set; a hub does not sync with another hub as its hub (list it in Peers instead)");
        }

        foreach (var (table, t) in options.Tables)
        {
            if (t.OwnerColumn is { } owner && string.IsNullOrWhiteSpace(owner))
            {
                errors.Add($"EdgeSync:Tables:{table}:OwnerColumn is empty; name the column holding the owning cluster id (e.g. cluster_id) or remove the key");
            }
        }

        Positive(errors, nameof(options.CaptureIntervalMs), options.CaptureIntervalMs);
        Positive(errors, nameof(options.SyncIntervalMs), options.SyncIntervalMs);
        Positive(errors, nameof(options.IdleSyncIntervalMs), options.IdleSyncIntervalMs);
        Positive(errors, nameof(options.PeerDnsIntervalMs), options.PeerDnsIntervalMs);
        Positive(errors, nameof(options.CallTimeoutMs), options.CallTimeoutMs);
        Positive(errors, nameof(options.StreamTimeoutMs), options.StreamTimeoutMs);
        Positive(errors, nameof(options.RetryBaseDelayMs), options.RetryBaseDelayMs);
        Positive(errors, nameof(options.MaxBatchRows), options.MaxBatchRows);
        Positive(errors, nameof(options.MaxIngestRows), options.MaxIngestRows);
        Positive(errors, nameof(options.MaxMessageBytes), options.MaxMessageBytes);
        Positive(errors, nameof(options.MaxStreamsPerPeer), options.MaxStreamsPerPeer);
        Positive(errors, nameof(options.MaxRoundsPerPeer), options.MaxRoundsPerPeer);
        if (options.ProtocolVersion is < Internal.Wire.PreviousProtocolVersion or > Internal.Wire.ProtocolVersion)
        {
            errors.Add($"EdgeSync:ProtocolVersion must be from {Internal.Wire.PreviousProtocolVersion} to {Internal.Wire.ProtocolVersion} (was {options.ProtocolVersion})");
        }
        Positive(errors, nameof(options.DatabaseScanIntervalMs), options.DatabaseScanIntervalMs);
        double idleMinutes = Math.Max(options.SyncIntervalMs, options.IdleSyncIntervalMs) / 60_000.0;
        if (options.ForgetPeersAfterMinutes < 0 || (options.ForgetPeersAfterMinutes > 0 && options.ForgetPeersAfterMinutes < 4 * idleMinutes))
        {
            errors.Add($"EdgeSync:ForgetPeersAfterMinutes must be 0 (never) or at least four IdleSyncIntervalMs ({4 * idleMinutes:0.###} minutes): "
                + $"a connected quiet peer may go unheard that long (got {options.ForgetPeersAfterMinutes})");
        }
        Positive(errors, nameof(options.MaxIngestBodyBytes), options.MaxIngestBodyBytes);
        if (options.RetryMaxDelayMs < options.RetryBaseDelayMs)
        {
            errors.Add("EdgeSync:RetryMaxDelayMs must be at least RetryBaseDelayMs");
        }

        if (options.NodeCount is < 0)
        {
            errors.Add("EdgeSync:NodeCount (node_count) cannot be negative");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateSecurity(List<string> errors, AgentOptions options)
    {
        var tls = options.Tls;
        if (tls.IsConfigured)
        {
            if (string.IsNullOrWhiteSpace(tls.CertificateFile) || string.IsNullOrWhiteSpace(tls.KeyFile) || string.IsNullOrWhiteSpace(tls.CaFile))
            {
                errors.Add("EdgeSync:Tls: set all of CertificateFile, KeyFile and CaFile (--tls-cert, --tls-key, --tls-ca), or none");
            }
            else
            {
                try
                {
                    var material = TlsMaterial.Load(tls);
                    if (material.Identity is null)
                    {
                        errors.Add($"EdgeSync:Tls:CertificateFile: '{tls.CertificateFile}' names no site (a URI SAN {SiteCertificate.Prefix}site/CLUSTER/REPLICA "
                            + $"or {SiteCertificate.Prefix}cluster/CLUSTER); make one with 'edgesync certs site'");
                    }
                    else if (!string.IsNullOrWhiteSpace(options.Site) && !material.Identity.Covers(options.Site))
                    {
                        errors.Add($"EdgeSync:Tls:CertificateFile: the certificate is for {material.Identity}, not for this agent's site '{options.Site}'");
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException or System.Security.Cryptography.CryptographicException)
                {
                    errors.Add(e.Message);
                }
            }

            // Mixing is refused rather than documented: a cleartext sync port next to an mTLS one would let anyone bypass it.
            foreach (var url in options.Listen.Where(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"EdgeSync:Listen: '{url}' is cleartext but mutual TLS is configured (EdgeSync:Tls); use https://");
            }

            foreach (var url in options.Peers.Append(options.Hub).Where(u => u is not null && u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"EdgeSync:Peers/Hub: '{url}' is cleartext but mutual TLS is configured (EdgeSync:Tls); use https://");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Auth.TokenFile))
        {
            try
            {
                BearerTokenFile.Read(options.Auth.TokenFile);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                errors.Add(e.Message);
            }
        }
    }

    private static void Positive(List<string> errors, string key, int value)
    {
        if (value <= 0)
        {
            errors.Add($"EdgeSync:{key} must be positive (got {value})");
        }
    }

    private static void ValidateLifecycle(List<string> errors, AgentOptions options)
    {
        if (options.AckTimeoutMs < 1 || options.MinFreeBytes < 0 || options.FreeSpaceRetryAfterSeconds < 1
            || options.RetentionIntervalMs < 1 || options.RetentionBatchRows < 1)
        {
            errors.Add("EdgeSync:AckTimeoutMs, FreeSpaceRetryAfterSeconds, RetentionIntervalMs and RetentionBatchRows must be at least 1, MinFreeBytes 0 (off) or more");
        }

        foreach (var (table, t) in options.Tables)
        {
            if (t.Retention is not { } r)
            {
                continue;
            }

            string key = $"EdgeSync:Tables:{table}:Retention";
            if (t.Policy != EdgeSync.Schema.TablePolicy.Append)
            {
                errors.Add($"{key}: retention deletes rows, so it is only for append tables (rows never change); '{table}' is {t.Policy.ToString().ToLowerInvariant()}");
            }

            if (r.MaxAge is null && r.MaxRows is null)
            {
                errors.Add($"{key}: set MaxAge (e.g. 3.00:00:00) and/or MaxRows");
            }

            if (r.MaxAge is { } age && age <= TimeSpan.Zero || r.MaxRows is < 0)
            {
                errors.Add($"{key}: MaxAge must be positive and MaxRows 0 or more");
            }

            bool exported = string.Equals(r.Level, "exported", StringComparison.OrdinalIgnoreCase);
            if (!exported && !string.Equals(r.Level, "hub", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{key}:Level is '{r.Level}'; use 'hub' (a row is deleted only once a hub holds it) or 'exported' (once the hub exported it to NATS)");
            }

            if (options.EffectiveRole == AgentRole.Hub && !exported)
            {
                errors.Add($"{key}: this agent is the hub, and a hub may prune only rows that are exported; set Level: exported (and EdgeSync:Export)");
            }
        }
    }
}
