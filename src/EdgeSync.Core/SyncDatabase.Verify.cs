using EdgeSync.Verify;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>
    /// The content digest of every synced table (see <see cref="ReplicaDigest"/>), with this replica's vector, from one
    /// read snapshot: captures first, so the vector counts every write sealed before the snapshot. Reads every row once;
    /// writers are not blocked. When given, only the tables <paramref name="tableFilter"/> accepts are read and included.
    /// </summary>
    public ReplicaDigest Digest(int bucketCount = ReplicaDigest.DefaultBucketCount, Func<string, bool>? tableFilter = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketCount, ReplicaDigest.MaxBucketCount);
        return InSnapshot((connection, site, vector, tables) => new ReplicaDigest(site, vector, bucketCount,
            tables.Where(t => tableFilter?.Invoke(t) ?? true).Select(t => ContentDigest.Table(connection, t, bucketCount, cancellationToken)).ToList()), cancellationToken);
    }

    /// <summary>
    /// The rows of the requested buckets (as <see cref="DigestComparer.DifferingBuckets"/> names them), with a hash per
    /// column, from one read snapshot. Tables this replica does not sync are left out.
    /// </summary>
    public IReadOnlyList<BucketRows> DigestRows(IReadOnlyList<BucketRequest> requests, int bucketCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketCount, ReplicaDigest.MaxBucketCount);
        if (requests.SelectMany(r => r.Buckets).Any(b => b < 0 || b >= bucketCount))
        {
            throw new ArgumentOutOfRangeException(nameof(requests), $"a requested bucket is outside 0..{bucketCount - 1}");
        }

        return InSnapshot((connection, _, _, tables) => requests.Where(r => tables.Contains(r.Table, StringComparer.Ordinal))
            .Select(r => ContentDigest.Rows(connection, r.Table, r.Buckets, bucketCount, cancellationToken)).ToList(), cancellationToken);
    }

    /// <summary>
    /// Compares this replica's content with <paramref name="other"/>'s: every column of every row of every synced table,
    /// and the tables' schemas. <paramref name="thisName"/> and <paramref name="otherName"/> name the two in messages.
    /// </summary>
    public DigestComparison CompareContent(SyncDatabase other, string thisName, string otherName,
        int bucketCount = ReplicaDigest.DefaultBucketCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = Digest(bucketCount, tableFilter: null, cancellationToken);
        var theirs = other.Digest(bucketCount, tableFilter: null, cancellationToken);
        var wanted = DigestComparer.DifferingBuckets(mine, theirs);
        return DigestComparer.Compare(mine, theirs, DigestRows(wanted, bucketCount, cancellationToken),
            other.DigestRows(wanted, bucketCount, cancellationToken), thisName, otherName);
    }

    /// <summary>
    /// Records what the last content comparison with <paramref name="peer"/> found (an identical comparison clears the
    /// record), for <see cref="Divergences"/> and <c>edgesync status</c>. Waits for another connection's write lock as
    /// <see cref="Apply"/> does; cancelling <paramref name="cancellationToken"/> stops the wait with nothing recorded.
    /// </summary>
    public void RecordDivergence(string peer, DigestComparison comparison, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentNullException.ThrowIfNull(comparison);
        var lines = comparison.Describe().ToList();
        var now = _options.Time.GetUtcNow();
        WithWriter(writer => writer.InTransaction(Storage.Durability.Bookkeeping, store => Storage.DivergenceRecords.Set(store, peer, now, lines), cancellationToken));
    }

    /// <summary>The divergences the last content comparisons found, per peer (none when every peer last compared identical).</summary>
    public IReadOnlyList<DivergenceReport> Divergences
    {
        get
        {
            using var connection = OpenReader();
            return Storage.DivergenceRecords.Load(connection).Select(d => new DivergenceReport(d.Peer, d.CheckedAt, d.Lines)).ToList();
        }
    }

    private T InSnapshot<T>(Func<SqliteConnection, string, IReadOnlyDictionary<string, long>, IReadOnlyList<string>, T> read, CancellationToken cancellationToken)
    {
        CaptureAndAudit(wait: false, waitForGate: true, cancellationToken);
        using var connection = OpenReader();
        Internal.Sql.Exec(connection, "BEGIN"); // raw, so the digest's statements need no transaction object
        try
        {
            return InSnapshot(connection, read);
        }
        finally
        {
            EndReadTransaction(connection); // a pooled reader goes back without its snapshot
        }
    }

    private T InSnapshot<T>(SqliteConnection connection, Func<SqliteConnection, string, IReadOnlyDictionary<string, long>, IReadOnlyList<string>, T> read)
    {
        string site;
        IReadOnlyDictionary<string, long> vector;
        List<string> tables;
        lock (_gate)
        {
            ThrowIfDisposed();
            site = _store.SiteId;
            vector = _store.VectorAsVersionVector();
            tables = _store.Tables.Select(t => t.Info.Name).Order(StringComparer.Ordinal).ToList();
            using var start = connection.CreateCommand(); // the snapshot starts at the first read, while no EdgeSync commit can land
            start.CommandText = "SELECT count(*) FROM sqlite_master";
            start.ExecuteScalar();
        }

        return read(connection, site, vector, tables);
    }
}
