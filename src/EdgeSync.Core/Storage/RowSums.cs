using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using EdgeSync.Clocks;
using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>
/// A fingerprint of each column's value as this replica last wrote, captured or applied the row (4 bytes per column,
/// kept in <c>_edgesync_rows.sums</c>). Capture never reads it: it is the baseline for the one case triggers cannot see,
/// an update made after a rebuild migration dropped the old table (and its capture triggers) and before the capture
/// that reinstalls them (<see cref="RebuildScan"/>). A column whose clock is <see cref="CellClock.Unwritten"/> holds its
/// declared default, so it is compared with that, not with its fingerprint.
/// </summary>
internal static class RowSums
{
    private const int Width = sizeof(uint);

    /// <summary>The fingerprints of a row's values in table order.</summary>
    public static byte[] Of(ReadOnlySpan<object?> values)
    {
        var sums = new byte[values.Length * Width];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sums.AsSpan(i * Width), Of(values[i]));
        }

        return sums;
    }

    /// <summary>One value's fingerprint: its SQLite storage class and its bytes.</summary>
    public static uint Of(object? value)
    {
        Span<byte> number = stackalloc byte[sizeof(long)];
        switch (value)
        {
            case null:
                return 0;
            case long or int or short or sbyte or byte or uint or ushort or bool:
                BinaryPrimitives.WriteInt64LittleEndian(number, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                return XxHash32.HashToUInt32(number, seed: 1);
            case double or float:
                BinaryPrimitives.WriteDoubleLittleEndian(number, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                return XxHash32.HashToUInt32(number, seed: 2);
            case string s:
                return OfText(s);
            case byte[] b:
                return XxHash32.HashToUInt32(b, seed: 4);
            default:
                return Of(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A result column's fingerprint, read without boxing: the same as <see cref="Of(object?)"/> of its value.</summary>
    public static uint Of(RawStatement statement, int column)
    {
        Span<byte> number = stackalloc byte[sizeof(long)];
        switch (statement.ColumnTag(column))
        {
            case ValueTag.Integer:
                BinaryPrimitives.WriteInt64LittleEndian(number, statement.ColumnInt64(column));
                return XxHash32.HashToUInt32(number, seed: 1);
            case ValueTag.Real:
                BinaryPrimitives.WriteDoubleLittleEndian(number, statement.ColumnDouble(column));
                return XxHash32.HashToUInt32(number, seed: 2);
            case ValueTag.Text:
                return XxHash32.HashToUInt32(statement.ColumnUtf8(column), seed: 3);
            case ValueTag.Blob:
                return XxHash32.HashToUInt32(statement.ColumnBytes(column), seed: 4);
            default:
                return 0;
        }
    }

    /// <summary>Text is fingerprinted as UTF-8, as SQLite hands it out.</summary>
    private static uint OfText(string s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            return XxHash32.HashToUInt32(buffer[..Encoding.UTF8.GetBytes(s, buffer)], seed: 3);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The columns (a capture mask: bit c for column c, the last bit for every column past 63) whose value now differs
    /// from the one recorded (<paramref name="current"/>: each column's fingerprint now), skipping the key. A column never written (<see cref="CellClock.Unwritten"/>) holds its
    /// declared default, so it is changed when it no longer does; <paramref name="defaults"/> gives that default per
    /// column, or says it cannot be known (an expression such as <c>CURRENT_TIMESTAMP</c>). A written column is changed
    /// when its fingerprint differs. The row's clocks are decoded only for a column that may have changed: one whose
    /// fingerprint differs, or one added since the fingerprints were taken that no longer holds its default.
    /// </summary>
    public static long Changed(ReadOnlySpan<byte> sums, ReadOnlySpan<uint> current, Func<CellClock[]> clocks, IReadOnlySet<int> key,
        Func<int, (bool Known, object? Value)> defaults)
    {
        long mask = 0;
        CellClock[]? decoded = null;
        for (int c = 0; c < current.Length; c++)
        {
            if (key.Contains(c))
            {
                continue;
            }

            uint now = current[c];
            bool covered = (c + 1) * Width <= sums.Length;
            if (covered ? BinaryPrimitives.ReadUInt32LittleEndian(sums[(c * Width)..]) == now : HoldsDefault(c))
            {
                continue;
            }

            decoded ??= clocks();
            bool differs = c >= decoded.Length || decoded[c].IsUnwritten ? !HoldsDefault(c) : covered;
            if (differs)
            {
                mask |= 1L << Math.Min(c, 63);
            }

            bool HoldsDefault(int column)
            {
                var (known, dflt) = defaults(column);
                return !known || Of(dflt) == now;
            }
        }

        return mask;
    }

    /// <summary>The fingerprints laid out for another column order: <paramref name="from"/>[i] is column i's old position, or -1.</summary>
    public static byte[] Remap(byte[] sums, ReadOnlySpan<int> from)
    {
        var next = new byte[from.Length * Width];
        for (int i = 0; i < from.Length; i++)
        {
            if (from[i] >= 0 && (from[i] + 1) * Width <= sums.Length)
            {
                sums.AsSpan(from[i] * Width, Width).CopyTo(next.AsSpan(i * Width));
            }
        }

        return next;
    }
}
