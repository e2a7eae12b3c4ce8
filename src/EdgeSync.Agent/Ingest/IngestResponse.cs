namespace EdgeSync.Agent.Ingest;

/// <summary>The answer to an accepted ingest request: the rows are committed.</summary>
internal sealed record IngestResponse(string Table, int Rows);
