using EdgeSync.Agent.Internal;
using EdgeSync.Schema;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Runs the fleet's published migrations (docs/schema.md, "Fleet-managed migrations") on every hosted database each
/// <see cref="AgentOptions.MigrationCheckMs"/>: those the application's gate allows and that have not run here, in
/// order, each all or nothing. A database not committed to since a pass that left nothing failed is skipped, so an idle
/// agent's passes cost nothing per database. A failure is logged once per migration and error, shown by <c>edgesync schema show</c>
/// and tried again at the next pass; the migrations after it wait.
/// </summary>
internal sealed class MigrationRunner(DatabaseRegistry registry, IOptions<AgentOptions> options, TimeProvider time, ILogger<MigrationRunner> logger)
    : BackgroundService
{
    private readonly Dictionary<(string Database, string Migration), string> _reported = [];
    /// <summary>Passes in a row a busy database may be skipped before one waits for its lock.</summary>
    internal const int MaxBusyPasses = 5;

    private readonly Dictionary<HostedDatabase, long> _settled = []; // commits seen at the last pass that left nothing failed
    private readonly Dictionary<HostedDatabase, int> _busy = []; // passes in a row that found the database busy

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MigrationCheckMs <= 0)
        {
            return;
        }

        while (!registry.IsOpen)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.MigrationCheckMs), time);
        do
        {
            var all = registry.All;
            foreach (var db in all)
            {
                // Nothing can be due in a database nobody committed to since a pass that left nothing failed: the
                // published log arrives by sync and the gate is the application's write, both commits.
                long commits = db.CommitsSeen;
                if (_settled.TryGetValue(db, out long seen) && seen == commits)
                {
                    continue;
                }

                if (RunOne(db, stoppingToken))
                {
                    _settled[db] = commits;
                }
                else
                {
                    _settled.Remove(db);
                }
            }

            foreach (var gone in _settled.Keys.Concat(_busy.Keys).Except(all).ToList())
            {
                _settled.Remove(gone);
                _busy.Remove(gone);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Runs what is due in <paramref name="db"/>; true when nothing failed (nothing to try again until the next commit).
    /// While the database is busy (an apply, a capture) the pass skips it and the next one tries again, without holding a
    /// thread on its lock; after <see cref="MaxBusyPasses"/> such passes in a row it waits for the lock.
    /// </summary>
    internal bool RunOne(HostedDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<PublishedMigration>? migrations;
            if (_busy.GetValueOrDefault(db) >= MaxBusyPasses)
            {
                migrations = db.Db.ApplyPublishedMigrations(cancellationToken);
            }
            else if (!db.Db.TryApplyPublishedMigrations(out migrations, cancellationToken))
            {
                _busy[db] = _busy.GetValueOrDefault(db) + 1;
                return false;
            }

            _busy.Remove(db);
            bool settled = true;
            foreach (var m in migrations)
            {
                settled &= m.State != "failed";
                var key = (db.Name, m.Name);
                if (m.State == "failed" && (!_reported.TryGetValue(key, out var seen) || seen != m.Error))
                {
                    _reported[key] = m.Error!;
                    Log.MigrationFailed(logger, db.Name, m.Name, m.Error!);
                }
                else if (m.State == "applied" && _reported.Remove(key))
                {
                    Log.MigrationRecovered(logger, db.Name, m.Name);
                }
            }

            return settled;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.MigrationPassFailed(logger, db.Name, e.Message);
            return false;
        }
    }
}
