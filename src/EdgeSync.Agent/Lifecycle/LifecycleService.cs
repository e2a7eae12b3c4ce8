using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Compaction;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Lifecycle;

/// <summary>
/// Once a second: probes each database's free space; publishes how far this site's changes lag at each
/// acknowledgement level every <see cref="LagRefresh"/> (a second for up to 50 databases), for the databases committed
/// to since (an idle database is not read again). Every <see cref="AgentOptions.RetentionIntervalMs"/>: prunes the tables that have a
/// retention policy, in batches of <see cref="AgentOptions.RetentionBatchRows"/> rows, each its own short write
/// transaction with a pause after it, deleting only rows a hub is known to hold.
/// </summary>
internal sealed class LifecycleService(
    DatabaseRegistry registry, IOptions<AgentOptions> options, DiskGuard guard, LifecycleMetrics metrics, TimeProvider time, ILogger<LifecycleService> logger)
    : BackgroundService
{
    private static readonly AckLevel[] LagLevels = [AckLevel.Replicas(1), AckLevel.Hub, AckLevel.Exported];

    /// <summary>The levels whose lag is published (<c>edgesync_ack_lag_changes</c>' <c>level</c> label), in order.</summary>
    internal static IReadOnlyList<string> LagLevelNames { get; } = LagLevels.Select(l => l.ToString()).ToArray();

    private HashSet<string> _lagged = new(StringComparer.Ordinal); // databases whose lag was published in the last pass
    private readonly Dictionary<HostedDatabase, (long Commits, Clocks.VersionVector Exported)> _lagInputs = []; // what each database's published lag was read from
    private readonly Dictionary<string, string> _failing = new(StringComparer.Ordinal); // database → the message last logged
    private long _passes;

    /// <summary>Retention passes completed (every configured table of every database looked at once).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!registry.IsOpen)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
        }

        var o = options.Value;
        var interval = TimeSpan.FromMilliseconds(o.RetentionIntervalMs);
        var nextRetention = time.GetUtcNow();
        var nextLag = time.GetUtcNow();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(1_000, o.RetentionIntervalMs)), time);
        do
        {
            var all = registry.All;
            bool lag = time.GetUtcNow() >= nextLag;
            foreach (var db in all)
            {
                try
                {
                    guard.Probe(db.Name, db.Db.Path);
                    if (lag && LagInputsMoved(db))
                    {
                        PublishLag(db);
                    }
                }
                catch (ObjectDisposedException)
                {
                    continue; // let go of meanwhile (a --db-dir file removed), or stopping: the loop ends at the next tick
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One database's failure (its file removed before the directory scan lets go of it, a corrupt page,
                    // an I/O error) must not end the probes, gauges and retention of every other database.
                    _lagInputs.Remove(db); // its lag is read again at the next refresh
                    Failed(db.Name, e);
                    continue;
                }

                if (_failing.Remove(db.Name))
                {
                    Log.LifecycleRecovered(logger, db.Name);
                }
            }

            foreach (var gone in _failing.Keys.Where(name => !all.Any(d => d.Name == name)).ToList())
            {
                _failing.Remove(gone);
            }

            if (lag)
            {
                nextLag = time.GetUtcNow() + LagRefresh(all.Count);
                var names = all.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _lagged.Except(names))
                {
                    metrics.Forget(gone); // let go of: its series end with it
                }

                _lagged = names;
                foreach (var gone in _lagInputs.Keys.Except(all).ToList())
                {
                    _lagInputs.Remove(gone);
                }
            }

            if (time.GetUtcNow() >= nextRetention)
            {
                foreach (var db in registry.All)
                {
                    await PruneAsync(db, o, stoppingToken).ConfigureAwait(false);
                }

                Interlocked.Increment(ref _passes);
                nextRetention = time.GetUtcNow() + interval;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Logs a database's failure once as a warning, and again only when its message changes.</summary>
    private void Failed(string database, Exception e)
    {
        registry.Metrics.Error("lifecycle", "background");
        if (_failing.TryGetValue(database, out var seen) && seen == e.Message)
        {
            Log.LifecycleFailedAgain(logger, database, e.Message);
            return;
        }

        _failing[database] = e.Message;
        Log.LifecycleFailed(logger, database, e.GetType().Name, e.Message);
    }

    /// <summary>
    /// How often the acknowledgement-lag gauges are refreshed: every second up to 50 databases, then 20 ms per database
    /// (10 s at 500). Each refresh reads the peers' vectors of every database from its file; once a second at 500
    /// databases that pass never finished before the next began and kept most of a core busy on an idle agent.
    /// </summary>
    internal static TimeSpan LagRefresh(int databases) => TimeSpan.FromMilliseconds(Math.Max(1_000, 20 * databases));

    /// <summary>
    /// True when <paramref name="db"/>'s lag may have changed since it was last published: its file was committed to
    /// (its vector, or a peer's recorded vector, moved) or its exported vector moved. An idle database is not read
    /// again: each read opens a connection and parses the schema, which at 500 databases kept an idle agent busy.
    /// </summary>
    private bool LagInputsMoved(HostedDatabase db)
    {
        var inputs = (db.CommitsSeen, db.Db.ExportedVector);
        if (_lagInputs.TryGetValue(db, out var last) && last.Commits == inputs.CommitsSeen && ReferenceEquals(last.Exported, inputs.ExportedVector))
        {
            return false;
        }

        _lagInputs[db] = inputs; // taken before the read: a commit meanwhile makes the next pass read again
        return true;
    }

    private void PublishLag(HostedDatabase db)
    {
        string site = db.Db.SiteId;
        long own = db.Db.Vector[site];
        foreach (var level in LagLevels)
        {
            long held = db.Role == AgentRole.Hub && level.Kind == AckLevelKind.Hub ? own : db.Db.HeldAt(level)[site];
            metrics.AckLag(db.Name, level.ToString(), own - held);
        }
    }

    private async Task PruneAsync(HostedDatabase db, AgentOptions o, CancellationToken cancellationToken)
    {
        foreach (var (table, t) in o.Tables)
        {
            if (t.Retention is not { } r)
            {
                continue;
            }

            var policy = new RetentionPolicy { MaxAge = r.MaxAge, MaxRows = r.MaxRows };
            try
            {
                // What the level is known to hold (the hub's vector, or the export's position), never ahead of this replica.
                var held = db.Db.HeldAt(string.Equals(r.Level, "exported", StringComparison.OrdinalIgnoreCase) ? AckLevel.Exported : AckLevel.Hub);
                while (!cancellationToken.IsCancellationRequested)
                {
                    var result = db.Db.Prune(table, policy, held, o.RetentionBatchRows, cancellationToken);
                    if (result.Rows > 0)
                    {
                        metrics.Pruned(db.Name, table, result.Rows);
                        Log.Pruned(logger, db.Name, table, result.Rows);
                    }

                    if (!result.More)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken).ConfigureAwait(false); // writers take the lock meanwhile
                }
            }
            catch (Exception e) when (e is EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                Log.PruneFailed(logger, db.Name, table, e.Message);
            }
        }
    }
}
