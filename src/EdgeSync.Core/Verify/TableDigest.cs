namespace EdgeSync.Verify;

/// <summary>
/// The content digest of one synced table: its schema as declared now and, for each bucket of primary keys, the sum
/// of the hashes of its rows (every column, values with their storage class). Two replicas whose rows are equal in
/// every column have equal buckets whatever order the rows were written in; a row that differs changes one bucket.
/// </summary>
public sealed class TableDigest
{
    private readonly UInt128[] _buckets;

    /// <summary>Creates a digest; <paramref name="buckets"/> is owned by it from now on.</summary>
    public TableDigest(string name, bool exists, IReadOnlyList<DigestColumn> columns, long rowCount, UInt128[] buckets)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(buckets);
        Name = name;
        Exists = exists;
        Columns = columns;
        RowCount = rowCount;
        _buckets = buckets;
    }

    /// <summary>Table name.</summary>
    public string Name { get; }

    /// <summary>False when the table is synced but no longer exists in the file.</summary>
    public bool Exists { get; }

    /// <summary>Every column of the table, sorted by name (ordinal), including columns sync does not know about.</summary>
    public IReadOnlyList<DigestColumn> Columns { get; }

    /// <summary>Number of rows.</summary>
    public long RowCount { get; }

    /// <summary>Per bucket (a hash of the primary key modulo the bucket count), the wrapping sum of its rows' hashes.</summary>
    public ReadOnlySpan<UInt128> Buckets => _buckets;

    /// <summary>The key columns' names in key order.</summary>
    public IReadOnlyList<string> KeyColumns =>
        Columns.Where(c => c.KeyPosition > 0).OrderBy(c => c.KeyPosition).Select(c => c.Name).ToList();
}
