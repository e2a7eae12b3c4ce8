using System.Text.Json.Serialization;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// The answer to an accepted ingest request: the rows are committed, and with <c>ack</c> above <c>local</c> also held at
/// that level (<see cref="Ack"/>) by the replicas in <see cref="HeldBy"/> (site ids, as known from their vectors).
/// </summary>
internal sealed record IngestResponse(string Table, int Rows)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Ack { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? HeldBy { get; init; }
}
