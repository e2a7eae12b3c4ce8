using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Compaction;

/// <summary>
/// Compacts every hosted database each <see cref="AgentOptions.CompactionIntervalMinutes"/>, only when safe: the engine
/// never passes what every recorded peer holds (<c>_edgesync_peers</c>; forgetting a peer, by hand or after
/// <see cref="AgentOptions.ForgetPeersAfterMinutes"/>, removes it), and this scheduler waits until every static peer
/// has completed an exchange since the agent started, so a configured peer never recorded yet is not passed either.
/// After each pass it publishes the database's metadata size (<see cref="CompactionMetrics"/>).
/// </summary>
internal sealed class CompactionScheduler(
    DatabaseRegistry registry, IOptions<AgentOptions> options, CompactionMetrics metrics, TimeProvider time, ILogger<CompactionScheduler> logger)
    : BackgroundService
{
    private long _passes;

    /// <summary>Passes completed over every hosted database.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.CompactionIntervalMinutes <= 0)
        {
            return;
        }

        while (!registry.IsOpen)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(o.CompactionIntervalMinutes), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var db in registry.All)
            {
                names.Add(db.Name);
                try
                {
                    CompactOne(db, o.StaticPeers.Count, stoppingToken);
                }
                catch (ObjectDisposedException)
                {
                    continue; // let go of meanwhile (a --db-dir file removed, or stopping)
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Its file removed before the directory scan let go of it, or the size query failed: the other
                    // databases are compacted all the same, and this one is tried again next pass.
                    metrics.Pass(db.Name, "failed");
                    Log.CompactionFailed(logger, db.Name, e.Message);
                }
            }

            foreach (var gone in seen.Except(names).ToList())
            {
                metrics.Forget(gone);
            }

            seen = names;
            Interlocked.Increment(ref _passes);
        }
    }

    internal void CompactOne(HostedDatabase db, int staticPeers, CancellationToken cancellationToken)
    {
        var heard = db.Board.Snapshot().Where(p => p.LastSuccess is not null).Select(p => p.Site).ToList();
        string result;
        if (heard.Count < staticPeers)
        {
            result = "waiting";
            Log.CompactionWaiting(logger, db.Name, heard.Count, staticPeers);
        }
        else
        {
            try
            {
                var r = db.Db.Compact(heard, cancellationToken);
                result = r.LogEntries + r.Tombstones > 0 ? "compacted" : "nothing";
            }
            catch (Exception e) when (e is EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                result = "failed";
                Log.CompactionFailed(logger, db.Name, e.Message);
            }
        }

        metrics.Pass(db.Name, result);
        metrics.Size(db.Name, db.Db.MeasureMetadata(cancellationToken));
    }
}
