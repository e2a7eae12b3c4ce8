using System.Globalization;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Backup;

/// <summary>
/// Takes an online backup of every hosted database each <see cref="AgentOptions.BackupIntervalMinutes"/> into
/// <see cref="AgentOptions.BackupDirectory"/> as <c>NAME-yyyyMMddTHHmmssfffZ.db</c>, keeps the newest
/// <see cref="AgentOptions.BackupRetention"/>, and publishes <c>edgesync_last_backup_timestamp_seconds</c> (also when
/// scheduling is off, so an alert can see that no backup is being taken).
/// </summary>
internal sealed class BackupScheduler(DatabaseRegistry registry, IOptions<AgentOptions> options, TimeProvider time, ILogger<BackupScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!registry.IsOpen)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, stoppingToken).ConfigureAwait(false);
        }

        foreach (var db in registry.All)
        {
            try
            {
                registry.Metrics.LastBackup(db.Board, db.Db.Status.LastBackupAt is { } at ? at.ToUnixTimeMilliseconds() / 1000.0 : 0);
            }
            catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                // Let go of meanwhile, or unreadable: its gauge waits for its next backup, whose failure is logged.
            }
        }

        if (o.BackupIntervalMinutes <= 0 || string.IsNullOrWhiteSpace(o.BackupDirectory))
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(o.BackupIntervalMinutes), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var db in registry.All)
            {
                BackupOne(db, o.BackupDirectory, o.BackupRetention, stoppingToken);
            }
        }
    }

    internal void BackupOne(HostedDatabase db, string directory, int retention, CancellationToken cancellationToken)
    {
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        var path = Path.Combine(directory, $"{db.Name}-{stamp}.db");
        try
        {
            Directory.CreateDirectory(directory); // here, not once at start: a directory that cannot be made is reported each pass, and the agent runs on
            var result = db.Db.Backup(path, cancellationToken: cancellationToken);
            registry.Metrics.LastBackup(db.Board, result.TakenAt.ToUnixTimeMilliseconds() / 1000.0);
            registry.Metrics.Backup("ok");
            Log.BackupTaken(logger, db.Name, path, result.Bytes, result.Duration.TotalSeconds);
            foreach (var old in Directory.GetFiles(directory, $"{db.Name}-*.db").Order(StringComparer.Ordinal).SkipLast(retention))
            {
                File.Delete(old);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            registry.Metrics.Backup("error");
            Log.BackupFailed(logger, db.Name, path, e.Message);
        }
    }
}
