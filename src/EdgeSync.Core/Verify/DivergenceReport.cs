namespace EdgeSync.Verify;

/// <summary>What the last content comparison with a peer found (see <see cref="SyncDatabase.Divergences"/>).</summary>
/// <param name="Peer">The peer's site id.</param>
/// <param name="CheckedAt">When the comparison ran.</param>
/// <param name="Tables">One line per differing table, as <see cref="TableDivergence.Describe"/> says it.</param>
public sealed record DivergenceReport(string Peer, DateTimeOffset CheckedAt, IReadOnlyList<string> Tables);
