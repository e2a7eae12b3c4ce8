using System.Text.Json;
using EdgeSync.Agent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// <c>POST /v1/tables/{table}/rows</c> (the agent's only or first database) and
/// <c>POST /v1/databases/{database}/tables/{table}/rows</c>: a JSON array of objects (column → value). The whole request
/// is validated first; any problem → 400 <c>ProblemDetails</c> with every problem under <c>errors</c>, nothing written.
/// Otherwise all rows are written in one transaction and 200 is returned only after it committed. Authenticated (401
/// otherwise) when TLS or a token file is configured.
/// </summary>
internal static class IngestEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/tables/{table}/rows",
            (string table, HttpRequest request, DatabaseRegistry registry, IOptions<AgentOptions> options, ILoggerFactory loggers, IngestAck ack, CancellationToken ct) =>
                HandleAsync(null, table, request, registry, options.Value, loggers, ack, ct)).RequireEdgeSyncAuthentication();
        endpoints.MapPost("/v1/databases/{database}/tables/{table}/rows",
            (string database, string table, HttpRequest request, DatabaseRegistry registry, IOptions<AgentOptions> options, ILoggerFactory loggers, IngestAck ack,
                CancellationToken ct) => HandleAsync(database, table, request, registry, options.Value, loggers, ack, ct)).RequireEdgeSyncAuthentication();
    }

    private static readonly string[] KnownQuery = ["ack", "ackTimeoutMs"];

    private static async Task<IResult> HandleAsync(
        string? database, string table, HttpRequest request, DatabaseRegistry registry, AgentOptions options, ILoggerFactory loggers, IngestAck ack,
        CancellationToken ct)
    {
        if (request.Query.Keys.FirstOrDefault(k => !KnownQuery.Contains(k)) is { } unknown)
        {
            // A parameter the agent does not read must not be ignored: ?database=x would write to the first database.
            registry.Metrics.IngestRejected("invalid_query");
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown query parameter",
                detail: $"unknown query parameter '{unknown}' (known: {string.Join(", ", KnownQuery)}); nothing was written. "
                    + "The database goes in the path: POST /v1/databases/{database}/tables/{table}/rows");
        }

        if (IngestAck.ParseRequest(request.Query["ack"], request.Query["ackTimeoutMs"], options, out var level, out var timeout) is { } badAck)
        {
            registry.Metrics.IngestRejected("invalid_ack");
            return badAck;
        }

        // Kestrel enforces the body limit while the body is read (chunked bodies too); a declared length over it is
        // refused before reading anything.
        int limit = options.MaxIngestBodyBytes;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        if (request.ContentLength > limit)
        {
            return TooLarge(registry, limit);
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            registry.Metrics.IngestRejected("invalid_json");
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not valid JSON", detail: e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(registry, limit);
        }

        using (document)
        {
            var outcome = IngestProcessor.Ingest(registry, database, table, document.RootElement, loggers.CreateLogger("EdgeSync.Agent.Ingest"), ack.Guard);
            if (outcome.RetryAfter is { } retry)
            {
                request.HttpContext.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return outcome switch
            {
                { Ok: true } when level.Kind != AckLevelKind.Local => await ack.WaitAsync(registry.Find(database)!, outcome, level, timeout, ct).ConfigureAwait(false),
                { Ok: true } => Results.Ok(new IngestResponse(outcome.Table, outcome.Rows)),
                { Problems: { } problems } => Results.ValidationProblem(problems, title: outcome.Title,
                    type: "https://tools.ietf.org/html/rfc9110#section-15.5.1"),
                _ => Results.Problem(statusCode: outcome.Status, title: outcome.Title, detail: outcome.Detail),
            };
        }
    }

    private static IResult TooLarge(DatabaseRegistry registry, int limit)
    {
        registry.Metrics.IngestRejected("too_large");
        return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large",
            detail: $"an ingest request may carry at most {limit} bytes (EdgeSync:MaxIngestBodyBytes); split the rows over several requests");
    }
}
