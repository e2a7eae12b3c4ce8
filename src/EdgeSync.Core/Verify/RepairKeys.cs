using EdgeSync.Internal;

namespace EdgeSync.Verify;

/// <summary>
/// The keys a repair re-offers: from the rows of the differing buckets of two replicas, every key whose row exists on
/// one side only or hashes differently, decoded from the digest's canonical key encoding.
/// </summary>
internal static class RepairKeys
{
    public static Dictionary<string, List<object?[]>> Differing(IReadOnlyList<BucketRows> first, IReadOnlyList<BucketRows> second,
        Func<string, int> keyColumns)
    {
        var result = new Dictionary<string, List<object?[]>>(StringComparer.Ordinal);
        foreach (var a in first)
        {
            var b = second.FirstOrDefault(r => r.Table == a.Table);
            var theirs = (b?.Rows ?? []).ToDictionary(r => Convert.ToHexString(r.Key), r => r.Hash, StringComparer.Ordinal);
            var mine = a.Rows.ToDictionary(r => Convert.ToHexString(r.Key), r => r, StringComparer.Ordinal);
            var keys = new List<object?[]>();
            foreach (var row in a.Rows)
            {
                if (!theirs.TryGetValue(Convert.ToHexString(row.Key), out var hash) || hash != row.Hash)
                {
                    keys.Add(Decode(row.Key, keyColumns(a.Table)));
                }
            }

            foreach (var row in b?.Rows ?? [])
            {
                if (!mine.ContainsKey(Convert.ToHexString(row.Key)))
                {
                    keys.Add(Decode(row.Key, keyColumns(a.Table)));
                }
            }

            if (keys.Count > 0)
            {
                result[a.Table] = keys;
            }
        }

        return result;
    }

    private static object?[] Decode(byte[] key, int columns)
    {
        var reader = new ByteReader(key);
        var values = new object?[columns];
        for (int i = 0; i < columns; i++)
        {
            values[i] = reader.ReadValue();
        }

        return values;
    }
}
