namespace EdgeSync.Apply;

/// <summary>What applying one batch did.</summary>
/// <param name="Applied">Rows whose state changed here (inserted, updated, deleted, or clocks advanced).</param>
/// <param name="Skipped">Rows already known (every change in them was covered by this replica's vector).</param>
/// <param name="Conflicts">Writes that lost a merge and were recorded in the conflict audit.</param>
public readonly record struct ApplyResult(int Applied, int Skipped, int Conflicts);
