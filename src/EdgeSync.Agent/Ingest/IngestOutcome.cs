namespace EdgeSync.Agent.Ingest;

/// <summary>
/// What an ingest request came to, independent of the transport: <see cref="Rows"/> written, or a refusal with an
/// HTTP-style status, a title, and either per-field <see cref="Problems"/> or a <see cref="Detail"/>.
/// </summary>
internal sealed record IngestOutcome(
    string Table,
    int Rows,
    int Status,
    string? Title = null,
    string? Detail = null,
    IReadOnlyDictionary<string, string[]>? Problems = null)
{
    /// <summary>Seconds a refused client should wait before retrying (the <c>Retry-After</c> of a 507), or null.</summary>
    public int? RetryAfter { get; init; }

    public bool Ok => Status == 200;

    public static IngestOutcome Written(string table, int rows) => new(table, rows, 200);

    public static IngestOutcome Refused(string table, int status, string title, string? detail = null) => new(table, 0, status, title, detail);

    public static IngestOutcome Invalid(string table, Dictionary<string, List<string>> problems) =>
        new(table, 0, 400, "The request has invalid rows; nothing was written", null,
            problems.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal));
}
