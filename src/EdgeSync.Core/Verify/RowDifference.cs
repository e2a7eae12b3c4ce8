namespace EdgeSync.Verify;

/// <summary>One row that differs between two replicas.</summary>
/// <param name="Key">The key as text, e.g. <c>id=3</c> or <c>(site='a', n=2)</c>.</param>
/// <param name="Kind">Whether the values differ or the row exists on one side only.</param>
/// <param name="Columns">For <see cref="RowDifferenceKind.ValuesDiffer"/>: the columns whose values differ, by name.</param>
public sealed record RowDifference(string Key, RowDifferenceKind Kind, IReadOnlyList<string> Columns);
