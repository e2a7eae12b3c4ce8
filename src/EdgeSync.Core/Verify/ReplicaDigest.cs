namespace EdgeSync.Verify;

/// <summary>The content digest of every synced table of one replica, taken from one read snapshot.</summary>
/// <param name="SiteId">The replica's site id.</param>
/// <param name="Vector">The replica's version vector in the same snapshot (origin → highest sequence held).</param>
/// <param name="BucketCount">Buckets per table.</param>
/// <param name="Tables">Per synced table, sorted by name.</param>
public sealed record ReplicaDigest(string SiteId, IReadOnlyDictionary<string, long> Vector, int BucketCount, IReadOnlyList<TableDigest> Tables)
{
    /// <summary>Buckets per table unless the caller asks for another count: 16 KiB of hashes per table on the wire.</summary>
    public const int DefaultBucketCount = 1024;

    /// <summary>The most buckets per table a digest may have.</summary>
    public const int MaxBucketCount = 65536;
}
