namespace EdgeSync.Protocol;

/// <summary>Upper bounds a decoder enforces, so a hostile or corrupt batch cannot exhaust memory.</summary>
public sealed record BatchLimits
{
    /// <summary>Largest encoded (compressed) batch accepted, in bytes.</summary>
    public int MaxEncodedBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest decoded body, in bytes.</summary>
    public int MaxDecodedBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Most rows in one batch.</summary>
    public int MaxRows { get; init; } = 100_000;

    /// <summary>Most columns in one table.</summary>
    public int MaxColumns { get; init; } = 2_000;

    /// <summary>
    /// Most cells (columns of live rows, summed over the batch). A cell can be one byte on the wire but costs the
    /// decoder about 75 bytes (its value and clock), so without this bound a small batch of wide rows of NULLs could
    /// make the receiver allocate gigabytes. The default (about 300 MB at worst) is far above what a sender with default
    /// limits extracts (at most 5,000 rows and about 4 MB of values per batch).
    /// </summary>
    public int MaxCells { get; init; } = 4_000_000;

    /// <summary>Most tables, sites or ranges in one batch.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>The defaults.</summary>
    public static BatchLimits Default { get; } = new();
}
