using System.Buffers.Binary;
using EdgeSync.Internal;

namespace EdgeSync.Verify;

/// <summary>
/// The binary form of digests, bucket requests and bucket rows, for carrying them between agents. Every decoder checks
/// counts against the bytes that remain, so a hostile message cannot make it allocate more than it sent; a malformed
/// one throws <see cref="FormatException"/>.
/// </summary>
public static class DigestCodec
{
    private const byte Version = 1;

    /// <summary>Encodes a replica digest.</summary>
    public static byte[] Encode(ReplicaDigest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var w = new ByteWriter(64 + digest.Tables.Count * (64 + digest.BucketCount * 16));
        w.WriteByte(Version);
        w.WriteString(digest.SiteId);
        w.WriteVarUInt((uint)digest.Vector.Count);
        foreach (var (site, seq) in digest.Vector.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            w.WriteString(site);
            w.WriteVarInt(seq);
        }

        w.WriteVarUInt((uint)digest.BucketCount);
        w.WriteVarUInt((uint)digest.Tables.Count);
        foreach (var t in digest.Tables)
        {
            w.WriteString(t.Name);
            w.WriteByte(t.Exists ? (byte)1 : (byte)0);
            w.WriteVarUInt((uint)t.Columns.Count);
            foreach (var c in t.Columns)
            {
                w.WriteString(c.Name);
                w.WriteString(c.DeclaredType);
                w.WriteVarUInt((uint)c.KeyPosition);
            }

            w.WriteVarInt(t.RowCount);
            foreach (var b in t.Buckets)
            {
                WriteUInt128(w, b);
            }
        }

        return w.ToArray();
    }

    /// <summary>Decodes what <see cref="Encode(ReplicaDigest)"/> wrote.</summary>
    public static ReplicaDigest DecodeDigest(ReadOnlySpan<byte> data)
    {
        var r = new ByteReader(data);
        CheckVersion(ref r);
        string site = r.ReadString();
        int entries = r.ReadCount(r.Remaining);
        var vector = new Dictionary<string, long>(entries, StringComparer.Ordinal);
        for (int i = 0; i < entries; i++)
        {
            vector[r.ReadString()] = r.ReadVarInt();
        }

        int bucketCount = r.ReadCount(ReplicaDigest.MaxBucketCount);
        if (bucketCount == 0)
        {
            throw new FormatException("a digest needs at least one bucket");
        }

        int tableCount = r.ReadCount(r.Remaining / (bucketCount * 16));
        var tables = new List<TableDigest>(tableCount);
        for (int i = 0; i < tableCount; i++)
        {
            string name = r.ReadString();
            bool exists = r.ReadByte() != 0;
            int columnCount = r.ReadCount(r.Remaining / 3);
            var columns = new List<DigestColumn>(columnCount);
            for (int c = 0; c < columnCount; c++)
            {
                columns.Add(new DigestColumn(r.ReadString(), r.ReadString(), r.ReadCount(int.MaxValue)));
            }

            long rows = r.ReadVarInt();
            if (r.Remaining < bucketCount * 16)
            {
                throw new FormatException("digest is truncated");
            }

            var buckets = new UInt128[bucketCount];
            for (int b = 0; b < bucketCount; b++)
            {
                buckets[b] = ReadUInt128(ref r);
            }

            tables.Add(new TableDigest(name, exists, columns, rows, buckets));
        }

        return new ReplicaDigest(site, vector, bucketCount, tables);
    }

    /// <summary>Encodes the buckets a comparison needs the rows of.</summary>
    public static byte[] Encode(IReadOnlyList<BucketRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var w = new ByteWriter(256);
        w.WriteByte(Version);
        w.WriteVarUInt((uint)requests.Count);
        foreach (var q in requests)
        {
            w.WriteString(q.Table);
            WriteBuckets(w, q.Buckets);
        }

        return w.ToArray();
    }

    /// <summary>Decodes what <see cref="Encode(IReadOnlyList{BucketRequest})"/> wrote.</summary>
    public static IReadOnlyList<BucketRequest> DecodeRequests(ReadOnlySpan<byte> data)
    {
        var r = new ByteReader(data);
        CheckVersion(ref r);
        int count = r.ReadCount(r.Remaining);
        var requests = new List<BucketRequest>(count);
        for (int i = 0; i < count; i++)
        {
            requests.Add(new BucketRequest(r.ReadString(), ReadBuckets(ref r)));
        }

        return requests;
    }

    /// <summary>Encodes rows of requested buckets.</summary>
    public static byte[] Encode(IReadOnlyList<BucketRows> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var w = new ByteWriter(4096);
        w.WriteByte(Version);
        w.WriteVarUInt((uint)rows.Count);
        foreach (var table in rows)
        {
            w.WriteString(table.Table);
            WriteBuckets(w, table.Buckets);
            w.WriteVarUInt((uint)table.Rows.Count);
            foreach (var row in table.Rows)
            {
                w.WriteVarUInt((uint)row.Key.Length);
                w.WriteBytes(row.Key);
                WriteUInt128(w, row.Hash);
                w.WriteVarUInt((uint)row.ColumnHashes.Length);
                foreach (ulong h in row.ColumnHashes)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(w.GetSpan(8), h);
                    w.Advance(8);
                }
            }
        }

        return w.ToArray();
    }

    /// <summary>Decodes what <see cref="Encode(IReadOnlyList{BucketRows})"/> wrote.</summary>
    public static IReadOnlyList<BucketRows> DecodeRows(ReadOnlySpan<byte> data)
    {
        var r = new ByteReader(data);
        CheckVersion(ref r);
        int count = r.ReadCount(r.Remaining);
        var tables = new List<BucketRows>(count);
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            var buckets = ReadBuckets(ref r);
            int rowCount = r.ReadCount(r.Remaining / 18);
            var rows = new List<DigestRow>(rowCount);
            for (int j = 0; j < rowCount; j++)
            {
                byte[] key = r.ReadBytes(r.ReadCount(r.Remaining)).ToArray();
                var hash = ReadUInt128(ref r);
                var columns = new ulong[r.ReadCount(r.Remaining / 8)];
                for (int c = 0; c < columns.Length; c++)
                {
                    columns[c] = BinaryPrimitives.ReadUInt64LittleEndian(r.ReadBytes(8));
                }

                rows.Add(new DigestRow(key, hash, columns));
            }

            tables.Add(new BucketRows(name, buckets, rows));
        }

        return tables;
    }

    private static void CheckVersion(ref ByteReader r)
    {
        if (r.ReadByte() != Version)
        {
            throw new FormatException("unknown digest encoding version");
        }
    }

    private static void WriteBuckets(ByteWriter w, IReadOnlyList<int> buckets)
    {
        w.WriteVarUInt((uint)buckets.Count);
        foreach (int b in buckets)
        {
            w.WriteVarUInt((uint)b);
        }
    }

    private static List<int> ReadBuckets(ref ByteReader r)
    {
        int count = r.ReadCount(r.Remaining);
        var buckets = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            buckets.Add(r.ReadCount(ReplicaDigest.MaxBucketCount - 1));
        }

        return buckets;
    }

    private static void WriteUInt128(ByteWriter w, UInt128 value)
    {
        var span = w.GetSpan(16);
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)value);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], (ulong)(value >> 64));
        w.Advance(16);
    }

    private static UInt128 ReadUInt128(ref ByteReader r)
    {
        var bytes = r.ReadBytes(16);
        return new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes));
    }
}
