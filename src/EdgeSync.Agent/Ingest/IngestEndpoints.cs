using System.Text.Json;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// <c>POST /v1/tables/{table}/rows</c> (the agent's only or first database) and
/// <c>POST /v1/databases/{database}/tables/{table}/rows</c>: a JSON array of objects (column → value). The whole request
/// is validated first; any problem → 400 <c>ProblemDetails</c> with every problem under <c>errors</c>, nothing written.
/// Otherwise all rows are written in one transaction and 200 is returned only after it committed.
/// </summary>
internal static class IngestEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/tables/{table}/rows",
            (string table, HttpRequest request, DatabaseRegistry registry, ILoggerFactory loggers, CancellationToken ct) =>
                HandleAsync(null, table, request, registry, loggers, ct));
        endpoints.MapPost("/v1/databases/{database}/tables/{table}/rows",
            (string database, string table, HttpRequest request, DatabaseRegistry registry, ILoggerFactory loggers, CancellationToken ct) =>
                HandleAsync(database, table, request, registry, loggers, ct));
    }

    private static async Task<IResult> HandleAsync(
        string? database, string table, HttpRequest request, DatabaseRegistry registry, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("EdgeSync.Agent.Ingest");
        if (!registry.IsOpen)
        {
            return Refuse("unavailable", Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The agent is starting or stopping"));
        }

        if (registry.Find(database) is not { } hosted)
        {
            return Refuse("unknown_database", Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown database",
                detail: $"this agent hosts no database named '{database}' (it hosts {string.Join(", ", registry.All.Select(d => d.Name))})"));
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Refuse("invalid_json", Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not valid JSON", detail: e.Message));
        }

        using (document)
        {
            var info = hosted.Db.Tables.FirstOrDefault(t => string.Equals(t.Name, table, StringComparison.OrdinalIgnoreCase));
            if (info is null)
            {
                return Invalid(logger, table, new Dictionary<string, List<string>>
                {
                    ["table"] = [$"table '{table}' is not synced in database '{hosted.Name}' (synced: {string.Join(", ", hosted.Db.Tables.Select(t => t.Name))})"],
                });
            }

            using var connection = hosted.OpenWriter(TimeSpan.FromSeconds(10));
            var shape = TableShape.Read(connection, info);
            var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var rows = RowValidator.Validate(document.RootElement, shape, hosted.Options.MaxIngestRows, problems);
            if (problems.Count > 0)
            {
                return Invalid(logger, info.Name, problems);
            }

            try
            {
                RowWriter.Write(connection, shape, rows);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                return Refuse("constraint", Results.Problem(statusCode: StatusCodes.Status409Conflict,
                    title: "A row violates a constraint; nothing was written", detail: e.Message));
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
            {
                return Refuse("busy", Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "The database stayed locked by another writer; nothing was written, retry", detail: e.Message));
            }

            hosted.RequestCapture();
            AgentMetrics.IngestRows.Add(rows.Count, hosted.Board.Tags);
            Log.Ingested(logger, info.Name, rows.Count);
            return Results.Ok(new IngestResponse(info.Name, rows.Count));
        }
    }

    private static IResult Invalid(ILogger logger, string table, Dictionary<string, List<string>> problems)
    {
        Log.IngestRefused(logger, table, problems.Sum(p => p.Value.Count));
        return Refuse("invalid", Results.ValidationProblem(
            problems.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
            title: "The request has invalid rows; nothing was written",
            type: "https://tools.ietf.org/html/rfc9110#section-15.5.1"));
    }

    private static IResult Refuse(string reason, IResult result)
    {
        AgentMetrics.IngestRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return result;
    }
}
