using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Verify;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Verify;

/// <summary>
/// Anti-entropy in production: every <see cref="AgentOptions.DivergenceCheckMinutes"/>, for each hosted database and
/// each static peer, compares content digests (<see cref="ContentCheck"/>) when both replicas hold the same changes
/// (equal vectors; otherwise sync is still under way and the check waits for the next tick). Publishes
/// <c>edgesync_divergence</c> per table, records the finding in the database for <c>edgesync status</c>, and logs once
/// per change of state (diverged, agreeing again). It repairs nothing: a divergence needs a person (see docs/guarantees.md).
/// </summary>
internal sealed class DivergenceMonitor(
    DatabaseRegistry registry, Security.AgentSecurity security, IOptions<AgentOptions> options, TimeProvider time, ILogger<DivergenceMonitor> logger)
    : BackgroundService
{
    private readonly Dictionary<(string Database, string Peer), string> _state = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.DivergenceCheckMinutes <= 0 || o.StaticPeers.Count == 0)
        {
            return;
        }

        var clients = o.StaticPeers.Select(url => new RemoteDigest(url, o, security.Tls)).ToList();
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(o.DivergenceCheckMinutes), time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var hosted in registry.All)
                {
                    foreach (var client in clients)
                    {
                        await CheckAsync(hosted, client, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private async Task CheckAsync(HostedDatabase hosted, RemoteDigest client, CancellationToken cancellationToken)
    {
        ContentCheckResult result;
        try
        {
            result = await ContentCheck.RunAsync(hosted, client, onlyWhenQuiescent: true, ReplicaDigest.DefaultBucketCount, null, null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ContentCheckFailed(logger, hosted.Name, client.Url, e.Message); // an unreachable peer is the sync loop's to report
            return;
        }

        if (!result.Quiescent || result.PeerSite == hosted.Site)
        {
            return;
        }

        var comparison = result.Comparison;
        hosted.Db.RecordDivergence(result.PeerSite, comparison, cancellationToken); // first, so whoever sees the gauge move finds the record too
        foreach (var table in result.ComparedTables)
        {
            long rows = comparison.Tables.FirstOrDefault(t => t.Table == table) is { } d ? Math.Max(d.DifferingRows, d.SchemaDiffers ? 1 : 0) : 0;
            registry.Metrics.Divergence(hosted.Name, hosted.Site, result.PeerSite, table, rows);
        }

        string summary = string.Join("; ", comparison.Describe());
        var key = (hosted.Name, result.PeerSite);
        string previous = _state.GetValueOrDefault(key, "");
        if (summary != previous)
        {
            if (summary.Length > 0)
            {
                Log.Diverged(logger, hosted.Name, result.PeerSite, summary);
            }
            else
            {
                Log.DivergenceCleared(logger, hosted.Name, result.PeerSite);
            }

            _state[key] = summary;
        }
    }
}
