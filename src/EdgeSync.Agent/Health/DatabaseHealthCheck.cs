using EdgeSync.Agent.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeSync.Agent.Health;

/// <summary>
/// Readiness: every database is open and writable. Writability is proven by taking the write lock
/// (<c>BEGIN IMMEDIATE; ROLLBACK</c>) without waiting: a lock held by another writer means busy, not broken, so it
/// counts as ready; a read-only or corrupt file does not.
/// </summary>
internal sealed class DatabaseHealthCheck(DatabaseRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var databases = registry.All;
        if (databases.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("no database is open (starting or stopping)"));
        }

        foreach (var hosted in databases)
        {
            try
            {
                _ = hosted.Db.Vector;
                using var c = hosted.OpenWriter(TimeSpan.Zero);
                using var cmd = c.CreateCommand();
                cmd.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
            {
                // SQLITE_BUSY / SQLITE_LOCKED: another writer holds the lock right now; the file is writable.
            }
            catch (Exception e) when (e is SqliteException or ObjectDisposedException)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"database '{hosted.Name}' is not writable: {e.Message}"));
            }
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{databases.Count} database(s) open and writable"));
    }
}
