namespace EdgeSync.Agent;

/// <summary>Where a started agent listens (real ports, also when port 0 was asked).</summary>
/// <param name="Grpc">Sync endpoint URLs (HTTP/2): give these to peers as <c>--peer</c>/<c>--hub</c>.</param>
/// <param name="Http">HTTP/1.1 endpoint URLs: ingest, <c>/metrics</c>, <c>/healthz/*</c>.</param>
public sealed record AgentAddresses(IReadOnlyList<string> Grpc, IReadOnlyList<string> Http);
