using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;

namespace EdgeSync.Protocol;

/// <summary>
/// The wire form of <see cref="InsertRun"/>s, column by column: rowids as a first value and strictly positive
/// gaps, then per column a block of type bytes followed by the values — integers as zigzag deltas from the
/// previous integer of the column, reals as 8 bytes, text and blobs as a length and bytes. Every value costs at
/// least one byte (its type), so a decoded run is bounded by the body it came from.
/// </summary>
internal static class RunCodec
{
    public static void Write(ByteWriter w, InsertRun run, int siteIndex)
    {
        w.WriteVarUInt((uint)siteIndex);
        w.WriteInt64(run.Hlc.Value);
        w.WriteVarUInt((ulong)run.FirstSeq);
        w.WriteVarUInt((uint)run.Count);
        w.WriteVarInt(run.Rowids[0]);
        for (int i = 1; i < run.Count; i++)
        {
            w.WriteVarUInt((ulong)(run.Rowids[i] - run.Rowids[i - 1] - 1));
        }

        foreach (var column in run.Columns)
        {
            for (int i = 0; i < run.Count; i++)
            {
                w.WriteByte(column.TypeAt(i));
            }

            long previous = 0;
            for (int i = 0; i < run.Count; i++)
            {
                switch (column.TypeAt(i))
                {
                    case ValueTag.Integer:
                        long v = column.Int64At(i);
                        w.WriteVarInt(unchecked(v - previous));
                        previous = v;
                        break;
                    case ValueTag.Real:
                        w.WriteInt64(column.Int64At(i));
                        break;
                    case ValueTag.Text or ValueTag.Blob:
                        var bytes = column.BytesAt(i);
                        w.WriteVarUInt((uint)bytes.Length);
                        w.WriteBytes(bytes);
                        break;
                }
            }
        }
    }

    /// <summary>Reads one run of <paramref name="columnCount"/> columns; text and blob values stay slices of <paramref name="body"/>.</summary>
    public static InsertRun Read(ref ByteReader r, byte[] body, int columnCount, string[] sites, int maxRows, long maxCells)
    {
        var site = sites[r.ReadCount(sites.Length - 1)];
        var hlc = new Hlc(r.ReadInt64());
        long firstSeq = Checked(r.ReadVarUInt());
        int count = r.ReadCount(Math.Min(maxRows, r.Remaining));
        if (count == 0)
        {
            throw new FormatException("empty insert run");
        }

        if ((long)count * columnCount > maxCells)
        {
            throw new InvalidBatchException("batch has too many cells (rows × columns); the sender must send smaller batches");
        }

        var rowids = new long[count];
        rowids[0] = r.ReadVarInt();
        for (int i = 1; i < count; i++)
        {
            rowids[i] = checked(rowids[i - 1] + 1 + Checked(r.ReadVarUInt()));
        }

        var columns = new ColumnVector[columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            columns[c] = ReadColumn(ref r, body, count);
        }

        return new InsertRun(site, hlc, firstSeq, rowids, count, columns);
    }

    private static ColumnVector ReadColumn(ref ByteReader r, byte[] body, int count)
    {
        var types = r.ReadBytes(count).ToArray();

        // A column of one type (the usual case) gets no arrays for the other kinds of value.
        bool hasNumbers = types.AsSpan().IndexOfAny(ValueTag.Integer, ValueTag.Real) >= 0;
        bool hasBytes = types.AsSpan().IndexOfAny(ValueTag.Text, ValueTag.Blob) >= 0;
        long[] numbers = hasNumbers ? new long[count] : [];
        int[] starts = hasBytes ? new int[count] : [];
        int[] lengths = hasBytes ? new int[count] : [];
        long previous = 0;
        for (int i = 0; i < count; i++)
        {
            switch (types[i])
            {
                case ValueTag.Null:
                    break;
                case ValueTag.Integer:
                    previous = unchecked(previous + r.ReadVarInt());
                    numbers[i] = previous;
                    break;
                case ValueTag.Real:
                    numbers[i] = r.ReadInt64();
                    break;
                case ValueTag.Text or ValueTag.Blob:
                    int length = r.ReadCount(r.Remaining);
                    starts[i] = r.Position;
                    lengths[i] = length;
                    r.ReadBytes(length);
                    break;
                default:
                    throw new FormatException($"unknown value tag {types[i]}");
            }
        }

        return new ColumnVector(types, numbers, starts, lengths, body, count);
    }

    private static long Checked(ulong v) => v <= long.MaxValue ? (long)v : throw new FormatException("number out of range");
}
