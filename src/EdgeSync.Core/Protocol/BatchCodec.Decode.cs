using System.Buffers;
using System.IO.Compression;
using K4os.Compression.LZ4;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Merge;

namespace EdgeSync.Protocol;

// Decoding: the header, the body, and every bound of BatchLimits (split from BatchCodec.cs past 600 lines).
public static partial class BatchCodec
{
    /// <summary>
    /// The protocol an encoded batch needs from its reader: 4 when it carries disclaimed ranges, 3 when it carries column
    /// types, else 2 (also for input that is not a batch at all: <see cref="Decode"/> says what is wrong with it).
    /// </summary>
    public static int ProtocolOf(ReadOnlySpan<byte> data) =>
        data.Length < 5 || !data[..4].SequenceEqual(Magic) ? PreviousProtocolVersion
        : (data[4] & FlagDisclaimed) != 0 ? 4
        : (data[4] & FlagColumnTypes) != 0 ? 3
        : PreviousProtocolVersion;

    /// <summary>Decodes a batch, enforcing <paramref name="limits"/>.</summary>
    public static ChangeBatch Decode(ReadOnlySpan<byte> data, BatchLimits? limits = null)
    {
        limits ??= BatchLimits.Default;
        if (data.Length > limits.MaxEncodedBytes)
        {
            throw new InvalidBatchException($"batch of {data.Length} bytes exceeds the limit of {limits.MaxEncodedBytes} bytes");
        }

        if (data.Length < 5 || !data[..4].SequenceEqual(Magic))
        {
            throw new InvalidBatchException("not an EdgeSync change batch (bad header); is the peer running a compatible version?");
        }

        byte flags = (byte)(data[4] & ~(FlagColumnTypes | FlagDisclaimed));
        byte extensions = (byte)(data[4] & (FlagColumnTypes | FlagDisclaimed));
        if (flags is not (0 or FlagDeflate or FlagLz4))
        {
            throw new InvalidBatchException($"batch uses unknown flags 0x{data[4]:x2}; the peer is newer than this agent");
        }

        if (flags == FlagDeflate)
        {
            var inflated = Inflate(data[5..], limits.MaxDecodedBytes);
            return Read(inflated, inflated.Length, limits, extensions);
        }

        // The body is decoded in a rented buffer. Row states copy what they keep; insert runs keep slices of the body
        // (their text), so a batch with runs gets a copy of exactly the body's size.
        int offset = 5;
        int length = flags == 0 ? data.Length - 5 : UnpackedLength(data[5..], limits.MaxDecodedBytes, ref offset);
        var body = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (flags == 0)
            {
                data[5..].CopyTo(body);
            }
            else if (LZ4Codec.Decode(data[offset..], body.AsSpan(0, length)) != length)
            {
                throw new InvalidBatchException("batch body is not valid compressed data (truncated or corrupt)");
            }

            var batch = Read(body, length, limits, extensions);
            if (HasRuns(batch))
            {
                var kept = body.AsSpan(0, length).ToArray();
                foreach (var table in batch.Tables)
                {
                    foreach (var run in table.Runs)
                    {
                        foreach (var column in run.Columns)
                        {
                            column.MoveData(body, kept);
                        }
                    }
                }
            }

            return batch;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static ChangeBatch Read(byte[] body, int length, BatchLimits limits, byte extensions)
    {
        try
        {
            return ReadBody(body, length, limits, extensions);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new InvalidBatchException($"malformed change batch: {e.Message}", e);
        }
    }

    private static bool HasRuns(ChangeBatch batch)
    {
        for (int i = 0; i < batch.Tables.Count; i++)
        {
            if (batch.Tables[i].Runs.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The decompressed length an LZ4 body declares, validated; advances <paramref name="offset"/> past it.</summary>
    private static int UnpackedLength(ReadOnlySpan<byte> packed, int max, ref int offset)
    {
        var r = new ByteReader(packed);
        int length;
        try
        {
            length = r.ReadCount(int.MaxValue);
        }
        catch (FormatException e)
        {
            throw new InvalidBatchException("batch body length is malformed", e);
        }

        // LZ4 expands at most 255:1, so a length beyond that is a lie told to make this side allocate.
        if (length > max || length > (long)r.Remaining * 255 + 16)
        {
            throw new InvalidBatchException($"batch claims to decompress to {length} bytes (limit {max}, compressed {r.Remaining})");
        }

        offset += r.Position;
        return length;
    }

    private static byte[] Inflate(ReadOnlySpan<byte> compressed, int max)
    {
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var z = new DeflateStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = z.Read(buffer)) > 0)
            {
                if (output.Length + n > max)
                {
                    throw new InvalidBatchException($"batch decompresses to more than {max} bytes");
                }

                output.Write(buffer, 0, n);
            }

            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidBatchException("batch body is not valid compressed data (truncated or corrupt)", e);
        }
    }

    private static ChangeBatch ReadBody(byte[] body, int length, BatchLimits limits, byte extensions)
    {
        bool types = (extensions & FlagColumnTypes) != 0;
        var r = new ByteReader(body.AsSpan(0, length));
        string sender = r.ReadString();
        int nv = r.ReadCount(limits.MaxEntries);
        var vector = new List<KeyValuePair<string, long>>(nv);
        for (int i = 0; i < nv; i++)
        {
            vector.Add(new(r.ReadString(), Checked(r.ReadVarUInt())));
        }

        int nr = r.ReadCount(limits.MaxEntries);
        var ranges = new List<OriginRange>(nr);
        for (int i = 0; i < nr; i++)
        {
            var range = new OriginRange(r.ReadString(), Checked(r.ReadVarUInt()), Checked(r.ReadVarUInt()));
            if (range.To < range.From)
            {
                throw new FormatException($"range for site '{range.Site}' ends before it starts");
            }

            ranges.Add(range);
        }

        int ns = r.ReadCount(limits.MaxEntries);
        var sites = new string[ns];
        for (int i = 0; i < ns; i++)
        {
            sites[i] = r.ReadString();
        }

        int nt = r.ReadCount(limits.MaxEntries);
        var tables = new List<TableChangeSet>(nt);
        int totalRows = 0;
        long cells = 0;
        for (int i = 0; i < nt; i++)
        {
            string table = r.ReadString();
            int nc = r.ReadCount(limits.MaxColumns);
            var columns = new string[nc];
            for (int c = 0; c < nc; c++)
            {
                columns[c] = r.ReadString();
            }

            string[]? columnTypes = null;
            if (types && r.ReadCount(1) == 1)
            {
                columnTypes = new string[nc];
                for (int c = 0; c < nc; c++)
                {
                    columnTypes[c] = r.ReadString();
                }
            }

            int nk = r.ReadCount(nc);
            var keys = new string[nk];
            for (int k = 0; k < nk; k++)
            {
                keys[k] = r.ReadString();
            }

            int rows = r.ReadCount(limits.MaxRows - totalRows);
            totalRows += rows;
            var list = new List<RowChange>(rows);
            for (int j = 0; j < rows; j++)
            {
                var row = ReadRow(ref r, nk, nc, sites);
                cells += row.State.IsDeleted ? 0 : nc;
                if (cells > limits.MaxCells)
                {
                    throw new InvalidBatchException($"batch has more than {limits.MaxCells} cells (rows × columns); the sender must send smaller batches");
                }

                list.Add(row);
            }

            int nruns = r.ReadCount(limits.MaxEntries);
            var runs = new List<InsertRun>(Math.Min(nruns, 64));
            for (int k = 0; k < nruns; k++)
            {
                var run = RunCodec.Read(ref r, body, nc, sites, limits.MaxRows - totalRows, limits.MaxCells - cells);
                totalRows += run.Count;
                cells += (long)run.Count * nc;
                runs.Add(run);
            }

            tables.Add(new TableChangeSet(table, columns, keys, list, runs) { ColumnTypes = columnTypes });
        }

        var disclaimed = new List<OriginRange>();
        if ((extensions & FlagDisclaimed) != 0)
        {
            int nd = r.ReadCount(limits.MaxEntries);
            for (int i = 0; i < nd; i++)
            {
                var d = new OriginRange(r.ReadString(), Checked(r.ReadVarUInt()), Checked(r.ReadVarUInt()));
                if (d.To < d.From)
                {
                    throw new FormatException($"disclaimed range for site '{d.Site}' ends before it starts");
                }

                disclaimed.Add(d);
            }
        }

        if (!r.End)
        {
            throw new FormatException($"{r.Remaining} unexpected bytes after the last table");
        }

        return new ChangeBatch(sender, VersionVector.From(vector), ranges, tables) { Disclaimed = disclaimed };
    }

    private static RowChange ReadRow(ref ByteReader r, int nk, int nc, string[] sites)
    {
        var key = new object?[nk];
        for (int k = 0; k < nk; k++)
        {
            key[k] = r.ReadValue();
        }

        long cl = Checked(r.ReadVarUInt());
        if (cl == 0)
        {
            throw new FormatException("causal length 0");
        }

        int nd = r.ReadCount(Math.Max(nc, 1));
        if (nd == 0)
        {
            throw new FormatException("row without a clock");
        }

        // Most rows were written by one event: their one clock is read without an array of distinct clocks.
        var first = ReadClock(ref r, sites);
        if (cl % 2 == 0)
        {
            for (int d = 1; d < nd; d++)
            {
                ReadClock(ref r, sites);
            }

            return new RowChange(key, RowState.Deleted(cl, first));
        }

        var clocks = new CellClock[nc];
        if (nd == 1)
        {
            Array.Fill(clocks, first);
        }
        else
        {
            var distinct = new CellClock[nd];
            distinct[0] = first;
            for (int d = 1; d < nd; d++)
            {
                distinct[d] = ReadClock(ref r, sites);
            }

            for (int c = 0; c < nc; c++)
            {
                clocks[c] = distinct[r.ReadCount(nd - 1)];
            }
        }

        var values = new object?[nc];
        for (int c = 0; c < nc; c++)
        {
            values[c] = r.ReadValue();
        }

        return new RowChange(key, RowState.Alive(cl, values, clocks));
    }

    private static CellClock ReadClock(ref ByteReader r, string[] sites)
    {
        var hlc = new Hlc(r.ReadInt64());
        var site = sites[r.ReadCount(sites.Length - 1)];
        long seq = Checked(r.ReadVarUInt());
        var prev = new Hlc(r.ReadInt64());
        var prevSite = sites[r.ReadCount(sites.Length - 1)];
        return new CellClock(hlc, site, seq, prev, prevSite);
    }

    private static long Checked(ulong v) => v <= long.MaxValue ? (long)v : throw new FormatException("number out of range");
}
