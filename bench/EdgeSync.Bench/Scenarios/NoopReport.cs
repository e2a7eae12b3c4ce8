namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Result of the noop scenario: what a sync pass that finds nothing to do costs, over a warm channel to live agent A.
/// <see cref="ConverseMs"/>: a conversation opened with the caller's full list of databases until A's full list answers
/// it (the comparison every conversation starts with, and A's periodic full list); <see cref="PullMs"/>: a Pull with an
/// up-to-date vector, which streams no batch; <see cref="EngineMs"/>: the engine's share on the two files
/// (B.Vector, A.GetChanges enumerated, and the reverse, both empty). Medians and p99 over <see cref="Calls"/> calls each.
/// </summary>
internal sealed record NoopReport(
    string Scenario,
    double ConverseMs,
    double ConverseP99Ms,
    double PullMs,
    double PullP99Ms,
    double EngineMs,
    int Calls,
    int TableRows);
