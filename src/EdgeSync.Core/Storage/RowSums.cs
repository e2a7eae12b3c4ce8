using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using EdgeSync.Clocks;

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
                return XxHash32.HashToUInt32(MemoryMarshal.AsBytes(s.AsSpan()), seed: 3);
            case byte[] b:
                return XxHash32.HashToUInt32(b, seed: 4);
            default:
                return Of(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// The columns (a capture mask: bit c for column c, the last bit for every column past 63) whose value now differs
    /// from the one recorded, skipping the key. A column whose fingerprint matches is unchanged (the common case: the
    /// row's clocks are not even decoded). One that does not match, or that the fingerprints do not cover (added since),
    /// is changed when it was written (its clock is not <see cref="CellClock.Unwritten"/>) and its fingerprint is
    /// recorded; a column never written holds its declared default and is changed when it no longer does;
    /// <paramref name="defaults"/> gives that default per column, or says it cannot be known (an expression such as
    /// <c>CURRENT_TIMESTAMP</c>).
    /// </summary>
    public static long Changed(byte[] sums, ReadOnlySpan<object?> current, Func<CellClock[]> clocks, IReadOnlySet<int> key,
        Func<int, (bool Known, object? Value)> defaults)
    {
        long mask = 0;
        CellClock[]? decoded = null;
        for (int c = 0; c < current.Length; c++)
        {
            bool covered = (c + 1) * Width <= sums.Length;
            if (key.Contains(c) || (covered && BinaryPrimitives.ReadUInt32LittleEndian(sums.AsSpan(c * Width)) == Of(current[c])))
            {
                continue;
            }

            decoded ??= clocks();
            bool differs;
            if (c >= decoded.Length || decoded[c].IsUnwritten)
            {
                var (known, dflt) = defaults(c);
                differs = known && Of(current[c]) != Of(dflt);
            }
            else
            {
                differs = covered;
            }

            if (differs)
            {
                mask |= 1L << Math.Min(c, 63);
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
