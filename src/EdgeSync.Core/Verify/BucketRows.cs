namespace EdgeSync.Verify;

/// <summary>The rows of the requested buckets of one table.</summary>
/// <param name="Table">Table name.</param>
/// <param name="Buckets">The buckets these rows are from (all of them, including empty ones).</param>
/// <param name="Rows">The rows, in no particular order.</param>
public sealed record BucketRows(string Table, IReadOnlyList<int> Buckets, IReadOnlyList<DigestRow> Rows);
