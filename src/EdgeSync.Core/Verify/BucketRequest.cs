namespace EdgeSync.Verify;

/// <summary>The buckets of one table whose rows a comparison needs.</summary>
/// <param name="Table">Table name.</param>
/// <param name="Buckets">Bucket indexes.</param>
public sealed record BucketRequest(string Table, IReadOnlyList<int> Buckets);
