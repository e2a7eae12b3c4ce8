using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Configuration;

/// <summary>Checks <see cref="AgentOptions"/> at start, with messages that say which key to fix.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = new List<string>();
        if (options.Databases.Count == 0 || options.Databases.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("EdgeSync:Databases: give at least one database path (--db PATH)");
        }

        if (options.BackupIntervalMinutes < 0 || options.BackupRetention < 1)
        {
            errors.Add("EdgeSync:BackupIntervalMinutes must be 0 (off) or more, and BackupRetention at least 1");
        }
        else if (options.BackupIntervalMinutes > 0 && string.IsNullOrWhiteSpace(options.BackupDirectory))
        {
            errors.Add("EdgeSync:BackupDirectory: scheduled backups are on (BackupIntervalMinutes > 0) but no directory is set");
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

        if (options.PeerDns is not null && !PeerAddress.TryParseDns(options.PeerDns, out _, out _))
        {
            errors.Add($"EdgeSync:PeerDns: '{options.PeerDns}' is not NAME:PORT (e.g. edgesync-headless.factory-1.svc.cluster.local:5000)");
        }

        if (options.Role == AgentRole.Hub && !string.IsNullOrWhiteSpace(options.Hub))
        {
            errors.Add("EdgeSync:Role is hub but EdgeSync:Hub is set; a hub does not sync with another hub as its hub (list it in Peers instead)");
        }

        Positive(errors, nameof(options.CaptureIntervalMs), options.CaptureIntervalMs);
        Positive(errors, nameof(options.SyncIntervalMs), options.SyncIntervalMs);
        Positive(errors, nameof(options.PeerDnsIntervalMs), options.PeerDnsIntervalMs);
        Positive(errors, nameof(options.CallTimeoutMs), options.CallTimeoutMs);
        Positive(errors, nameof(options.StreamTimeoutMs), options.StreamTimeoutMs);
        Positive(errors, nameof(options.RetryBaseDelayMs), options.RetryBaseDelayMs);
        Positive(errors, nameof(options.MaxBatchRows), options.MaxBatchRows);
        Positive(errors, nameof(options.MaxIngestRows), options.MaxIngestRows);
        Positive(errors, nameof(options.MaxMessageBytes), options.MaxMessageBytes);
        Positive(errors, nameof(options.MaxStreamsPerPeer), options.MaxStreamsPerPeer);
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

    private static void Positive(List<string> errors, string key, int value)
    {
        if (value <= 0)
        {
            errors.Add($"EdgeSync:{key} must be positive (got {value})");
        }
    }
}
