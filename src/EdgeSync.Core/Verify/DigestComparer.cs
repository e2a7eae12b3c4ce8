using System.Globalization;
using EdgeSync.Internal;

namespace EdgeSync.Verify;

/// <summary>
/// Compares two replicas' digests in two steps: <see cref="DifferingBuckets"/> names the buckets whose hashes differ
/// (the caller fetches those buckets' rows from both sides), then <see cref="Compare"/> matches the rows by key and
/// names each differing row and column. Pure: no I/O.
/// </summary>
public static class DigestComparer
{
    /// <summary>At most this many differing buckets per table are compared row by row unless the caller says otherwise.</summary>
    public const int DefaultMaxBucketsPerTable = 16;

    /// <summary>The buckets, per table synced on both sides, whose hashes differ (the first <paramref name="maxBucketsPerTable"/> of each).</summary>
    public static IReadOnlyList<BucketRequest> DifferingBuckets(ReplicaDigest first, ReplicaDigest second, int maxBucketsPerTable = DefaultMaxBucketsPerTable)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        RequireSameBuckets(first, second);
        var requests = new List<BucketRequest>();
        foreach (var (a, b) in Pairs(first, second))
        {
            if (a is not null && b is not null)
            {
                var differing = Differing(a, b).Take(maxBucketsPerTable).ToList();
                if (differing.Count > 0)
                {
                    requests.Add(new BucketRequest(a.Name, differing));
                }
            }
        }

        return requests;
    }

    /// <summary>
    /// Compares two digests, using the rows of the buckets <see cref="DifferingBuckets"/> asked for (from each side) to
    /// name the differing rows and columns.
    /// </summary>
    public static DigestComparison Compare(ReplicaDigest first, ReplicaDigest second, IReadOnlyList<BucketRows> firstRows,
        IReadOnlyList<BucketRows> secondRows, string firstName, string secondName)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(firstRows);
        ArgumentNullException.ThrowIfNull(secondRows);
        RequireSameBuckets(first, second);
        var tables = new List<TableDivergence>();
        foreach (var (a, b) in Pairs(first, second))
        {
            if (a is null || b is null)
            {
                tables.Add(new TableDivergence((a ?? b)!.Name, a is null ? secondName : firstName, [], [], [], (a ?? b)!.RowCount, false, []));
                continue;
            }

            var onlyFirst = a.Columns.Select(c => c.Name).Except(b.Columns.Select(c => c.Name), StringComparer.Ordinal).ToList();
            var onlySecond = b.Columns.Select(c => c.Name).Except(a.Columns.Select(c => c.Name), StringComparer.Ordinal).ToList();
            var types = a.Columns.Join(b.Columns, c => c.Name, c => c.Name, (x, y) => (x, y), StringComparer.Ordinal)
                .Where(p => !string.Equals(p.x.DeclaredType, p.y.DeclaredType, StringComparison.Ordinal)
                    || (p.x.KeyPosition > 0) != (p.y.KeyPosition > 0))
                .Select(p => p.x.KeyPosition != p.y.KeyPosition
                    ? $"{p.x.Name} is {(p.x.KeyPosition > 0 ? "" : "not ")}part of the key in {firstName}, {(p.y.KeyPosition > 0 ? "" : "not ")}in {secondName}"
                    : $"{p.x.Name} is {Shown(p.x.DeclaredType)} in {firstName}, {Shown(p.y.DeclaredType)} in {secondName}")
                .ToList();
            var differing = Differing(a, b).ToList();
            if (differing.Count == 0 && onlyFirst.Count + onlySecond.Count + types.Count == 0)
            {
                continue;
            }

            var fetchedA = firstRows.Where(r => r.Table == a.Name).ToList();
            var fetchedB = secondRows.Where(r => r.Table == a.Name).ToList();
            var compared = fetchedA.SelectMany(r => r.Buckets).Intersect(fetchedB.SelectMany(r => r.Buckets)).ToHashSet();
            var rows = CompareRows(a, b, fetchedA.SelectMany(r => r.Rows), fetchedB.SelectMany(r => r.Rows));
            bool lowerBound = differing.Any(d => !compared.Contains(d));
            tables.Add(new TableDivergence(a.Name, null, onlyFirst, onlySecond, types, rows.Count, lowerBound, rows));
        }

        return new DigestComparison(firstName, secondName, tables);
    }

    private static string Shown(string type) => type.Length == 0 ? "untyped" : type;

    private static List<RowDifference> CompareRows(TableDigest a, TableDigest b, IEnumerable<DigestRow> rowsA, IEnumerable<DigestRow> rowsB)
    {
        var keyNames = a.KeyColumns;
        var byKey = new Dictionary<string, (DigestRow? A, DigestRow? B)>(StringComparer.Ordinal);
        foreach (var row in rowsA)
        {
            byKey[Convert.ToHexString(row.Key)] = (row, null);
        }

        foreach (var row in rowsB)
        {
            string k = Convert.ToHexString(row.Key);
            byKey[k] = (byKey.GetValueOrDefault(k).A, row);
        }

        var differences = new List<(byte[] Key, RowDifference Difference)>();
        foreach (var (ra, rb) in byKey.Values)
        {
            if (ra is not null && rb is not null)
            {
                if (ra.Hash != rb.Hash)
                {
                    differences.Add((ra.Key, new RowDifference(KeyText(keyNames, ra.Key), RowDifferenceKind.ValuesDiffer, DifferingColumns(a, b, ra, rb))));
                }
            }
            else if (ra is not null)
            {
                differences.Add((ra.Key, new RowDifference(KeyText(keyNames, ra.Key), RowDifferenceKind.OnlyInFirst, [])));
            }
            else
            {
                differences.Add((rb!.Key, new RowDifference(KeyText(keyNames, rb.Key), RowDifferenceKind.OnlyInSecond, [])));
            }
        }

        differences.Sort((x, y) => CompareKeys(x.Key, y.Key));
        return differences.Select(d => d.Difference).ToList();
    }

    private static List<string> DifferingColumns(TableDigest a, TableDigest b, DigestRow ra, DigestRow rb)
    {
        var hashesB = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (int i = 0; i < b.Columns.Count && i < rb.ColumnHashes.Length; i++)
        {
            hashesB[b.Columns[i].Name] = rb.ColumnHashes[i];
        }

        var names = new List<string>();
        for (int i = 0; i < a.Columns.Count && i < ra.ColumnHashes.Length; i++)
        {
            string name = a.Columns[i].Name;
            if (!hashesB.Remove(name, out ulong hb) || hb != ra.ColumnHashes[i])
            {
                names.Add(name);
            }
        }

        names.AddRange(hashesB.Keys); // columns only the second side has
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Orders encoded keys as SQLite orders values: NULL, then numbers by value, then text, then blobs (bytewise).</summary>
    private static int CompareKeys(byte[] x, byte[] y)
    {
        var rx = new ByteReader(x);
        var ry = new ByteReader(y);
        while (!rx.End && !ry.End)
        {
            int c = CompareValues(rx.ReadValue(), ry.ReadValue());
            if (c != 0)
            {
                return c;
            }
        }

        return rx.End.CompareTo(ry.End) * -1;
    }

    private static int CompareValues(object? a, object? b)
    {
        static int Rank(object? v) => v switch { null => 0, long or double => 1, string => 2, _ => 3 };
        int ra = Rank(a), rb = Rank(b);
        if (ra != rb)
        {
            return ra.CompareTo(rb);
        }

        return (a, b) switch
        {
            (long l1, long l2) => l1.CompareTo(l2),
            (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
            (string s1, string s2) => string.CompareOrdinal(s1, s2),
            (byte[] b1, byte[] b2) => b1.AsSpan().SequenceCompareTo(b2),
            _ => 0,
        };
    }

    /// <summary>A key as text: <c>id=3</c>, or <c>(site='a', n=2)</c> for a composite key.</summary>
    internal static string KeyText(IReadOnlyList<string> names, byte[] key)
    {
        var reader = new ByteReader(key);
        var parts = new List<string>();
        for (int i = 0; !reader.End; i++)
        {
            string value = reader.ReadValue() switch
            {
                null => "NULL",
                long l => l.ToString(CultureInfo.InvariantCulture),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
                byte[] bytes => "x'" + Convert.ToHexStringLower(bytes) + "'",
                var other => other.ToString() ?? "",
            };
            parts.Add($"{(i < names.Count ? names[i] : "?")}={value}");
        }

        return parts.Count == 1 ? parts[0] : "(" + string.Join(", ", parts) + ")";
    }

    private static IEnumerable<int> Differing(TableDigest a, TableDigest b)
    {
        for (int i = 0; i < a.Buckets.Length; i++)
        {
            if (a.Buckets[i] != b.Buckets[i])
            {
                yield return i;
            }
        }
    }

    private static IEnumerable<(TableDigest? A, TableDigest? B)> Pairs(ReplicaDigest first, ReplicaDigest second)
    {
        var a = first.Tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var b = second.Tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (string name in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            yield return (a.GetValueOrDefault(name), b.GetValueOrDefault(name));
        }
    }

    private static void RequireSameBuckets(ReplicaDigest first, ReplicaDigest second)
    {
        if (first.BucketCount != second.BucketCount)
        {
            throw new ArgumentException($"digests with different bucket counts ({first.BucketCount}, {second.BucketCount}) cannot be compared");
        }
    }
}
