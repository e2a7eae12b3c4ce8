using System.Buffers;
using System.IO.Compression;
using K4os.Compression.LZ4;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Merge;

namespace EdgeSync.Protocol;

/// <summary>
/// The wire format of a <see cref="ChangeBatch"/>: a 5-byte header ("ESB1" and a flags byte) and a body, compressed
/// with LZ4 when flag 2 is set (the body's length first, then the block; Deflate when flag 1 is set, as earlier
/// versions sent). Columns travel by name; site ids once per batch; each table's row states are followed by its
/// insert runs (<see cref="RunCodec"/>). Decoding validates every length and count against <see cref="BatchLimits"/>
/// and throws <see cref="InvalidBatchException"/> on anything malformed. Encoding works in buffers rented from
/// <see cref="ArrayPool{T}.Shared"/>, so a batch costs one allocation of its encoded size (none when written to an
/// <see cref="IBufferWriter{T}"/>), whatever its row count.
/// </summary>
public static partial class BatchCodec
{
    private static ReadOnlySpan<byte> Magic => "ESB1"u8;
    private const byte FlagDeflate = 1;
    private const byte FlagLz4 = 2;
    private const byte FlagColumnTypes = 4; // protocol 3: each table's columns are followed by their declared types
    private const byte FlagDisclaimed = 8; // protocol 4: the last table is followed by the sender's disclaimed ranges

    /// <summary>The protocol this version speaks: 3 carries each column's declared type, 4 what the sender disclaimed
    /// (<see cref="ChangeBatch.Disclaimed"/>).</summary>
    public const int ProtocolVersion = 4;

    /// <summary>The oldest protocol this version still speaks (with peers not yet upgraded): 2, columns by name only.</summary>
    public const int PreviousProtocolVersion = 2;
    private const int MaxPlainBody = 512;
    private const int InitialBodyCapacity = 64 * 1024;

    /// <summary>Encodes a batch in the current protocol, compressing bodies over 512 bytes.</summary>
    public static byte[] Encode(ChangeBatch batch) => Encode(batch, ProtocolVersion);

    /// <summary>Encodes a batch for a peer speaking <paramref name="protocolVersion"/> (<see cref="PreviousProtocolVersion"/> or later).</summary>
    public static byte[] Encode(ChangeBatch batch, int protocolVersion)
    {
        ArgumentNullException.ThrowIfNull(batch);
        byte extra = Extensions(batch, protocolVersion);
        var body = new ByteWriter(ArrayPool<byte>.Shared, InitialBodyCapacity);
        try
        {
            WriteBody(body, batch, extra);
            if (body.Length <= MaxPlainBody)
            {
                var plain = new byte[5 + body.Length];
                Frame(body.WrittenSpan, plain, extra);
                return plain;
            }

            var framed = ArrayPool<byte>.Shared.Rent(MaxFrameLength(body.Length));
            try
            {
                return framed.AsSpan(0, Frame(body.WrittenSpan, framed, extra)).ToArray();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(framed);
            }
        }
        finally
        {
            body.ReturnBuffer();
        }
    }

    /// <summary>
    /// Encodes a batch into <paramref name="destination"/> (the same bytes as <see cref="Encode(ChangeBatch)"/>),
    /// without allocating the encoded batch; returns the number of bytes written.
    /// </summary>
    public static int Encode(ChangeBatch batch, IBufferWriter<byte> destination) => Encode(batch, destination, ProtocolVersion);

    /// <summary>Encodes a batch into <paramref name="destination"/> for a peer speaking <paramref name="protocolVersion"/>.</summary>
    public static int Encode(ChangeBatch batch, IBufferWriter<byte> destination, int protocolVersion)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(destination);
        byte extra = Extensions(batch, protocolVersion);
        var body = new ByteWriter(ArrayPool<byte>.Shared, InitialBodyCapacity);
        try
        {
            WriteBody(body, batch, extra);
            int n = Frame(body.WrittenSpan, destination.GetSpan(MaxFrameLength(body.Length)), extra);
            destination.Advance(n);
            return n;
        }
        finally
        {
            body.ReturnBuffer();
        }
    }

    /// <summary>The header's flags for the parts of protocols 3 and 4 the batch carries and the peer reads (an older peer
    /// gets a batch without them: it refuses a stale-looking batch as before, never applies one unsafely).</summary>
    private static byte Extensions(ChangeBatch batch, int protocolVersion) =>
        (byte)((WithTypes(batch, protocolVersion) ? FlagColumnTypes : 0) | (protocolVersion >= 4 && batch.Disclaimed.Count > 0 ? FlagDisclaimed : 0));

    private static bool WithTypes(ChangeBatch batch, int protocolVersion)
    {
        if (protocolVersion is < PreviousProtocolVersion or > ProtocolVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(protocolVersion), protocolVersion,
                $"this version speaks protocols {PreviousProtocolVersion} to {ProtocolVersion}");
        }

        return protocolVersion >= 3 && batch.Tables.Any(t => t.ColumnTypes is not null);
    }

    private static void WriteBody(ByteWriter w, ChangeBatch batch, byte extra)
    {
        bool types = (extra & FlagColumnTypes) != 0;
        var sites = new Dictionary<string, int>(StringComparer.Ordinal);
        var siteList = new List<string>();
        int Site(string s)
        {
            if (!sites.TryGetValue(s, out int i))
            {
                i = siteList.Count;
                sites[s] = i;
                siteList.Add(s);
            }

            return i;
        }

        foreach (var t in batch.Tables)
        {
            foreach (var row in t.Rows)
            {
                foreach (var c in row.State.Clocks)
                {
                    Site(c.Site);
                    Site(c.PrevSite);
                }
            }

            foreach (var run in t.Runs)
            {
                Site(run.Site);
            }
        }

        w.WriteString(batch.Sender);
        w.WriteVarUInt((uint)batch.SenderVector.Count);
        foreach (var (site, seq) in batch.SenderVector)
        {
            w.WriteString(site);
            w.WriteVarUInt((ulong)seq);
        }

        w.WriteVarUInt((uint)batch.Ranges.Count);
        foreach (var r in batch.Ranges)
        {
            w.WriteString(r.Site);
            w.WriteVarUInt((ulong)r.From);
            w.WriteVarUInt((ulong)r.To);
        }

        w.WriteVarUInt((uint)siteList.Count);
        foreach (var s in siteList)
        {
            w.WriteString(s);
        }

        w.WriteVarUInt((uint)batch.Tables.Count);
        var distinct = new List<CellClock>(4);
        foreach (var t in batch.Tables)
        {
            w.WriteString(t.Table);
            w.WriteVarUInt((uint)t.Columns.Count);
            foreach (var c in t.Columns)
            {
                w.WriteString(c);
            }

            if (types)
            {
                w.WriteVarUInt(t.ColumnTypes is null ? 0u : 1u);
                foreach (var c in t.ColumnTypes ?? [])
                {
                    w.WriteString(c);
                }
            }

            w.WriteVarUInt((uint)t.KeyColumns.Count);
            foreach (var c in t.KeyColumns)
            {
                w.WriteString(c);
            }

            w.WriteVarUInt((uint)t.Rows.Count);
            foreach (var row in t.Rows)
            {
                foreach (var k in row.Key)
                {
                    w.WriteValue(k);
                }

                var state = row.State;
                w.WriteVarUInt((ulong)state.CausalLength);
                distinct.Clear();
                foreach (var c in state.Clocks)
                {
                    if (!distinct.Contains(c))
                    {
                        distinct.Add(c);
                    }
                }

                w.WriteVarUInt((uint)distinct.Count);
                foreach (var c in distinct)
                {
                    w.WriteInt64(c.Hlc.Value);
                    w.WriteVarUInt((uint)sites[c.Site]);
                    w.WriteVarUInt((ulong)c.Seq);
                    w.WriteInt64(c.PrevHlc.Value);
                    w.WriteVarUInt((uint)sites[c.PrevSite]);
                }

                if (state.IsDeleted)
                {
                    continue;
                }

                if (distinct.Count > 1)
                {
                    foreach (var c in state.Clocks)
                    {
                        w.WriteVarUInt((uint)distinct.IndexOf(c));
                    }
                }

                foreach (var v in state.Values!)
                {
                    w.WriteValue(v);
                }
            }

            w.WriteVarUInt((uint)t.Runs.Count);
            foreach (var run in t.Runs)
            {
                if (run.Columns.Count != t.Columns.Count)
                {
                    throw new ArgumentException($"an insert run of table '{t.Table}' has {run.Columns.Count} columns, the table {t.Columns.Count}", nameof(batch));
                }

                RunCodec.Write(w, run, sites[run.Site]);
            }
        }

        if ((extra & FlagDisclaimed) != 0)
        {
            w.WriteVarUInt((uint)batch.Disclaimed.Count);
            foreach (var d in batch.Disclaimed)
            {
                w.WriteString(d.Site);
                w.WriteVarUInt((ulong)d.From);
                w.WriteVarUInt((ulong)d.To);
            }
        }
    }

    private static int MaxFrameLength(int bodyLength) =>
        bodyLength <= MaxPlainBody ? 5 + bodyLength : 5 + ByteWriter.MaxVarIntBytes + LZ4Codec.MaximumOutputSize(bodyLength);

    /// <summary>Writes the header and the body (LZ4-compressed when over 512 bytes); returns the bytes written.</summary>
    private static int Frame(ReadOnlySpan<byte> body, Span<byte> destination, byte extra)
    {
        Magic.CopyTo(destination);
        if (body.Length <= MaxPlainBody)
        {
            destination[4] = extra;
            body.CopyTo(destination[5..]);
            return 5 + body.Length;
        }

        destination[4] = (byte)(FlagLz4 | extra);
        int n = 5 + ByteWriter.WriteVarUInt(destination[5..], (uint)body.Length);
        return n + LZ4Codec.Encode(body, destination[n..], LZ4Level.L00_FAST);
    }
}
