namespace EdgeSync.Verify;

/// <summary>What <c>SyncDatabase.ReofferDifferences</c> did: rows issued again on each side, and what it cannot repair.</summary>
/// <param name="ReofferedHere">Rows this replica issued again (or captured, when no clock spoke of them).</param>
/// <param name="ReofferedThere">Rows the other replica issued again.</param>
/// <param name="NotRepairable">One line per table left alone, saying why (its schema differs, or it is synced on one side only).</param>
public sealed record RepairResult(int ReofferedHere, int ReofferedThere, IReadOnlyList<string> NotRepairable);
