using System.IO.Hashing;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Verify;

/// <summary>
/// Computes content digests over the user's rows as the application sees them: every column the table declares now
/// (sorted by name, synced or not), each value with its storage class (integer 1, real 1.0, text '1' and blob x'31'
/// all hash differently; text as UTF-8). A row's bucket is the XxHash3 of its canonically encoded key modulo the bucket
/// count; a bucket holds the wrapping sum of its rows' XxHash128, so the order rows were written in does not matter.
/// Runs inside whatever read transaction the caller holds, streaming one row at a time through two reused buffers.
/// </summary>
internal static class ContentDigest
{
    private const int CancellationCheckRows = 4096;

    /// <summary>The digest of <paramref name="table"/>; a table that no longer exists has no columns and no rows.</summary>
    public static TableDigest Table(SqliteConnection connection, string table, int bucketCount, CancellationToken cancellationToken)
    {
        var columns = Columns(connection, table);
        var buckets = new UInt128[bucketCount];
        if (columns.Count == 0)
        {
            return new TableDigest(table, exists: false, columns, 0, buckets);
        }

        long rows = 0;
        Scan(connection, table, columns, bucketCount, (bucket, rowHash, _, _) =>
        {
            buckets[bucket] += rowHash;
            rows++;
        }, cancellationToken);
        return new TableDigest(table, exists: true, columns, rows, buckets);
    }

    /// <summary>The rows of <paramref name="wanted"/> buckets of <paramref name="table"/>, with a hash per column.</summary>
    public static BucketRows Rows(SqliteConnection connection, string table, IReadOnlyList<int> wanted, int bucketCount, CancellationToken cancellationToken)
    {
        var columns = Columns(connection, table);
        var found = new List<DigestRow>();
        if (columns.Count == 0 || wanted.Count == 0)
        {
            return new BucketRows(table, wanted, found);
        }

        var set = new bool[bucketCount];
        foreach (int b in wanted)
        {
            set[b] = true;
        }

        Scan(connection, table, columns, bucketCount, (bucket, rowHash, key, values) =>
        {
            if (!set[bucket])
            {
                return;
            }

            var hashes = new ulong[columns.Count];
            for (int i = 0; i < hashes.Length; i++)
            {
                hashes[i] = XxHash3.HashToUInt64(values.Value(i));
            }

            found.Add(new DigestRow(key.ToArray(), rowHash, hashes));
        }, cancellationToken);
        return new BucketRows(table, wanted, found);
    }

    /// <summary>Every column of <paramref name="table"/> as declared now (hidden columns of virtual tables excluded), sorted by name.</summary>
    public static IReadOnlyList<DigestColumn> Columns(SqliteConnection connection, string table)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, type, pk FROM pragma_table_xinfo($t) WHERE hidden <> 1";
        cmd.Parameters.AddWithValue("$t", table);
        var columns = new List<DigestColumn>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            columns.Add(new DigestColumn(r.GetString(0), r.GetString(1).Trim().ToUpperInvariant(), r.GetInt32(2)));
        }

        columns.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return columns;
    }

    private delegate void RowSink(int bucket, UInt128 rowHash, ReadOnlySpan<byte> key, EncodedRow values);

    private static void Scan(SqliteConnection connection, string table, IReadOnlyList<DigestColumn> columns, int bucketCount, RowSink sink,
        CancellationToken cancellationToken)
    {
        int[] keyColumns = [.. Enumerable.Range(0, columns.Count).Where(i => columns[i].KeyPosition > 0).OrderBy(i => columns[i].KeyPosition)];
        if (keyColumns.Length == 0)
        {
            throw new InvalidOperationException($"table '{table}' has no primary key"); // sync refuses such tables, so it is never synced
        }

        using var statement = new RawStatement(connection,
            $"SELECT {string.Join(", ", columns.Select(c => Sql.Quote(c.Name)))} FROM {Sql.Quote(table)}");
        var keyBuffer = new ByteWriter(256);
        var rowBuffer = new ByteWriter(1024);
        var offsets = new int[columns.Count + 1];
        long count = 0;
        while (statement.Step())
        {
            if (++count % CancellationCheckRows == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            rowBuffer.Clear();
            for (int i = 0; i < columns.Count; i++)
            {
                offsets[i] = rowBuffer.Length;
                WriteValue(statement, i, rowBuffer);
            }

            offsets[columns.Count] = rowBuffer.Length;
            keyBuffer.Clear();
            foreach (int k in keyColumns)
            {
                keyBuffer.WriteBytes(rowBuffer.WrittenSpan[offsets[k]..offsets[k + 1]]);
            }

            int bucket = (int)(XxHash3.HashToUInt64(keyBuffer.WrittenSpan) % (ulong)bucketCount);
            sink(bucket, XxHash128.HashToUInt128(rowBuffer.WrittenSpan), keyBuffer.WrittenSpan, new EncodedRow(rowBuffer, offsets));
        }
    }

    /// <summary>One value in the encoding of <see cref="ByteWriter.WriteValue"/> (tag, then the value), read without boxing.</summary>
    private static void WriteValue(RawStatement statement, int column, ByteWriter output)
    {
        byte tag = statement.ColumnTag(column);
        output.WriteByte(tag);
        switch (tag)
        {
            case ValueTag.Integer:
                output.WriteVarInt(statement.ColumnInt64(column));
                break;
            case ValueTag.Real:
                output.WriteInt64(BitConverter.DoubleToInt64Bits(statement.ColumnDouble(column)));
                break;
            case ValueTag.Text:
                var text = statement.ColumnUtf8(column);
                output.WriteVarUInt((uint)text.Length);
                output.WriteBytes(text);
                break;
            case ValueTag.Blob:
                var blob = statement.ColumnBytes(column);
                output.WriteVarUInt((uint)blob.Length);
                output.WriteBytes(blob);
                break;
        }
    }

    /// <summary>The encoded values of one row and where each column's value starts.</summary>
    private readonly ref struct EncodedRow(ByteWriter buffer, int[] offsets)
    {
        private readonly ByteWriter _buffer = buffer;
        private readonly int[] _offsets = offsets;

        public ReadOnlySpan<byte> Value(int column) => _buffer.WrittenSpan[_offsets[column].._offsets[column + 1]];
    }
}
