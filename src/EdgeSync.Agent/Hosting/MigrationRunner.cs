using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Runs the fleet's published migrations (docs/schema.md, "Fleet-managed migrations") on every hosted database each
/// <see cref="AgentOptions.MigrationCheckMs"/>: those the application's gate allows and that have not run here, in
/// order, each all or nothing. A failure is logged once per migration and error, shown by <c>edgesync schema show</c>
/// and tried again at the next pass; the migrations after it wait.
/// </summary>
internal sealed class MigrationRunner(DatabaseRegistry registry, IOptions<AgentOptions> options, TimeProvider time, ILogger<MigrationRunner> logger)
    : BackgroundService
{
    private readonly Dictionary<(string Database, string Migration), string> _reported = [];

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
            foreach (var db in registry.All)
            {
                RunOne(db, stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    internal void RunOne(HostedDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var m in db.Db.ApplyPublishedMigrations(cancellationToken))
            {
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
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.MigrationPassFailed(logger, db.Name, e.Message);
        }
    }
}
