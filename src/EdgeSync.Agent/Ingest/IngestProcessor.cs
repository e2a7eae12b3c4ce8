using System.Text.Json;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// Validates a whole ingest request (a JSON array of column → value objects) and, only if every row is valid, writes
/// all rows in one transaction; the outcome is reported after commit. Shared by the HTTP and gRPC ingest calls.
/// </summary>
internal static class IngestProcessor
{
    public static IngestOutcome Ingest(DatabaseRegistry registry, string? database, string table, JsonElement rowsJson, ILogger logger,
        Lifecycle.DiskGuard? guard = null)
    {
        if (!registry.IsOpen)
        {
            return Refuse(registry, "unavailable", IngestOutcome.Refused(table, 503, "The agent is starting or stopping"));
        }

        if (registry.Find(database) is not { } hosted)
        {
            return Refuse(registry, "unknown_database", IngestOutcome.Refused(table, 404, "Unknown database",
                $"this agent hosts no database named '{database}' (it hosts {string.Join(", ", registry.All.Select(d => d.Name))})"));
        }

        if (guard is not null && guard.IsLow(hosted.Name, hosted.Db, out long free))
        {
            Log.VolumeLow(logger, hosted.Name, free, guard.MinFreeBytes);
            return Refuse(registry, "insufficient_storage", IngestOutcome.Refused(table, 507,
                "The database's volume is nearly full; nothing was written, retry later",
                $"{free} bytes free on the volume of '{hosted.Name}', below EdgeSync:MinFreeBytes ({guard.MinFreeBytes}); "
                + "ingest resumes by itself once retention or an operator frees space") with { RetryAfter = guard.RetryAfterSeconds });
        }

        var info = hosted.Db.Tables.FirstOrDefault(t => string.Equals(t.Name, table, StringComparison.OrdinalIgnoreCase));
        if (info is null)
        {
            return Invalid(registry, logger, table, new Dictionary<string, List<string>>
            {
                ["table"] = [$"table '{table}' is not synced in database '{hosted.Name}' (synced: {string.Join(", ", hosted.Db.Tables.Select(t => t.Name))})"],
            });
        }

        using var connection = hosted.OpenWriter(TimeSpan.FromSeconds(10));
        var shape = TableShape.Read(connection, info);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var rows = RowValidator.Validate(rowsJson, shape, hosted.Options.MaxIngestRows, problems);
        if (problems.Count > 0)
        {
            return Invalid(registry, logger, info.Name, problems);
        }

        try
        {
            RowWriter.Write(connection, shape, rows);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            return Refuse(registry, "constraint", IngestOutcome.Refused(info.Name, 409, "A row violates a constraint; nothing was written", e.Message));
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
        {
            return Refuse(registry, "busy", IngestOutcome.Refused(info.Name, 503,
                "The database stayed locked by another writer; nothing was written, retry", e.Message));
        }

        hosted.RequestCapture();
        hosted.Metrics.IngestRows(rows.Count, hosted.Board.Tags);
        Log.Ingested(logger, info.Name, rows.Count);
        return IngestOutcome.Written(info.Name, rows.Count);
    }

    private static IngestOutcome Invalid(DatabaseRegistry registry, ILogger logger, string table, Dictionary<string, List<string>> problems)
    {
        Log.IngestRefused(logger, table, problems.Sum(p => p.Value.Count));
        return Refuse(registry, "invalid", IngestOutcome.Invalid(table, problems));
    }

    private static IngestOutcome Refuse(DatabaseRegistry registry, string reason, IngestOutcome outcome)
    {
        registry.Metrics.IngestRejected(reason);
        return outcome;
    }
}
