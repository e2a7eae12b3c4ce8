namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the noop scenario. <see cref="MedianMs"/>: median duration of agent B's own sync rounds with A when
/// nothing changed, as B's peer loop times and logs them (handshake, vector comparison, no pull, no push).
/// <see cref="EngineMs"/>: the engine's share (B.Vector, A.GetChanges enumerated, and the reverse, both empty).
/// <see cref="HandshakeMs"/>: one Handshake call to live agent A over a warm gRPC channel.
/// </summary>
internal sealed record NoopReport(
    string Scenario,
    double MedianMs,
    double P99Ms,
    int Rounds,
    double EngineMs,
    double HandshakeMs,
    int TableRows);
