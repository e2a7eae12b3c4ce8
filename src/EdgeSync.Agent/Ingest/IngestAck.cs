using System.Diagnostics;
using System.Globalization;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Lifecycle;
using Microsoft.AspNetCore.Http;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// Acknowledgement levels of HTTP ingest (<c>?ack=local|replicas:N|hub|exported</c>, optional <c>ackTimeoutMs</c>): after the
/// rows committed, capture them and wait until peers' known vectors show them held at the level; 200 then, else at the
/// timeout 504 with a problem body saying how far they got (the rows stay written and keep syncing). On a hub agent,
/// <c>hub</c> is reached at commit.
/// </summary>
internal sealed class IngestAck(DiskGuard guard, LifecycleMetrics metrics)
{
    public DiskGuard Guard => guard;

    /// <summary>Null when the query is valid (<paramref name="level"/> and <paramref name="timeout"/> set), else the 400 to answer.</summary>
    public static IResult? ParseRequest(string? ack, string? timeoutMs, AgentOptions options, out AckLevel level, out TimeSpan timeout)
    {
        level = AckLevel.Local;
        timeout = TimeSpan.FromMilliseconds(options.AckTimeoutMs);
        if (!string.IsNullOrEmpty(ack) && !AckLevel.TryParse(ack, out level, out var error))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid ack", detail: error);
        }

        if (!string.IsNullOrEmpty(timeoutMs))
        {
            if (!int.TryParse(timeoutMs, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) || ms < 1 || ms > options.AckTimeoutMs)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid ackTimeoutMs",
                    detail: $"ackTimeoutMs must be a whole number of milliseconds from 1 to {options.AckTimeoutMs} (EdgeSync:AckTimeoutMs)");
            }

            timeout = TimeSpan.FromMilliseconds(ms);
        }

        return null;
    }

    /// <summary>
    /// Captures the committed rows and waits for <paramref name="level"/> (a hub agent holds <c>hub</c> at commit);
    /// records the wait. Transport-independent: HTTP and gRPC ingest both call it.
    /// </summary>
    public async Task<AckResult> WaitCoreAsync(HostedDatabase hosted, AckLevel level, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var ticket = hosted.Db.CaptureForAck(cancellationToken);
        var result = hosted.Role == AgentRole.Hub && level.Kind == AckLevelKind.Hub
            ? hosted.Db.CheckAck(ticket, level) with { Reached = true, HubHolds = true }
            : await hosted.Db.WaitForAckAsync(ticket, level, timeout, cancellationToken).ConfigureAwait(false);
        metrics.AckWaited(hosted.Name, level.ToString(), result.Reached, Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    /// <summary>What a caller is told when the level was not reached in time.</summary>
    public static string NotReached(HostedDatabase hosted, IngestOutcome written, AckResult result) =>
        $"{written.Rows} rows committed in '{hosted.Name}' as changes up to {result.Ticket.Origin}:{result.Ticket.Sequence}; "
        + $"{result.ReplicasHolding} other replica(s) are known to hold them ({(result.PeersHolding.Count == 0 ? "none" : string.Join(", ", result.PeersHolding))}), "
        + $"a hub {(result.HubHolds ? "does" : "does not yet")}. They stay written and keep syncing; do not write them again.";

    public async Task<IResult> WaitAsync(HostedDatabase hosted, IngestOutcome written, AckLevel level, TimeSpan timeout, CancellationToken cancellationToken)
    {
        AckResult result;
        try
        {
            result = await WaitCoreAsync(hosted, level, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (EdgeSync.Errors.EdgeSyncException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The rows are written, but capturing them to wait for the acknowledgement failed", detail: e.Message,
                extensions: new Dictionary<string, object?> { ["rows"] = written.Rows, ["ack"] = level.ToString() });
        }

        if (result.Reached)
        {
            return Results.Ok(new IngestResponse(written.Table, written.Rows) { Ack = level.ToString(), HeldBy = result.PeersHolding });
        }

        return Results.Problem(statusCode: StatusCodes.Status504GatewayTimeout,
            title: $"The rows are written but were not acknowledged at level '{level}' in time",
            detail: NotReached(hosted, written, result),
            extensions: new Dictionary<string, object?>
            {
                ["rows"] = written.Rows,
                ["ack"] = level.ToString(),
                ["origin"] = result.Ticket.Origin,
                ["sequence"] = result.Ticket.Sequence,
                ["replicasHolding"] = result.ReplicasHolding,
                ["peersHolding"] = result.PeersHolding,
                ["hubHolds"] = result.HubHolds,
                ["timeoutMs"] = (long)timeout.TotalMilliseconds,
            });
    }
}
