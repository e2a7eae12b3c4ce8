using System.IO.Compression;

namespace EdgeSync.Fuzz;

/// <summary>
/// The documented outer layer of an encoded batch (docs/design.md §4: "ESB1", a flags byte, then the body: LZ4 with
/// the body's length first when flag 2 is set, Deflate when flag 1 is set). Lets mutations reach the body under the
/// compression; nothing about the body's
/// layout is assumed, so the harness keeps working when the body format changes. When the bytes are not in this
/// envelope (the format moved on), mutations simply apply to the raw bytes.
/// </summary>
public static class Envelope
{
    private const int MaxOpenedBody = 16 * 1024 * 1024;

    /// <summary>Splits an encoded batch into its header and (decompressed) body; false when it is not in the envelope.</summary>
    public static bool TryOpen(byte[] encoded, out byte[] header, out byte[] body)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        header = [];
        body = [];
        if (encoded.Length < 5 || !encoded.AsSpan(0, 4).SequenceEqual("ESB1"u8))
        {
            return false;
        }

        header = encoded[..5];
        if (encoded[4] == Lz4Flag)
        {
            return TryOpenLz4(encoded, out body);
        }

        if ((encoded[4] & 1) == 0)
        {
            body = encoded[5..];
            return true;
        }

        try
        {
            using var input = new MemoryStream(encoded, 5, encoded.Length - 5);
            using var z = new DeflateStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = z.Read(buffer)) > 0)
            {
                if (output.Length + n > MaxOpenedBody)
                {
                    return false;
                }

                output.Write(buffer, 0, n);
            }

            body = output.ToArray();
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private const byte Lz4Flag = 2;

    private static bool TryOpenLz4(byte[] encoded, out byte[] body)
    {
        body = [];
        int pos = 5;
        long length = 0;
        for (int shift = 0; pos < encoded.Length && shift < 35; shift += 7)
        {
            byte b = encoded[pos++];
            length |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (length > MaxOpenedBody)
                {
                    return false;
                }

                var buffer = new byte[length];
                int n = K4os.Compression.LZ4.LZ4Codec.Decode(encoded.AsSpan(pos), buffer);
                if (n != length)
                {
                    return false;
                }

                body = buffer;
                return true;
            }
        }

        return false;
    }

    /// <summary>The LZ4 form of a body: its length as a varint, then the block.</summary>
    private static byte[] PackLz4(ReadOnlySpan<byte> body)
    {
        var block = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(body.Length)];
        int n = K4os.Compression.LZ4.LZ4Codec.Encode(body, block);
        using var output = new MemoryStream();
        for (ulong v = (ulong)body.Length; ; v >>= 7)
        {
            if (v < 0x80)
            {
                output.WriteByte((byte)v);
                break;
            }

            output.WriteByte((byte)(v | 0x80));
        }

        output.Write(block, 0, n);
        return output.ToArray();
    }

    /// <summary>
    /// An LZ4 decompression bomb: a message whose LZ4 block really inflates to <paramref name="inflatedBytes"/> zeros
    /// (LZ4 expands at most 255:1, so this one is large on the wire too).
    /// </summary>
    public static byte[] Lz4Bomb(int inflatedBytes)
    {
        var packed = PackLz4(new byte[inflatedBytes]);
        return [.. "ESB1"u8, Lz4Flag, .. packed];
    }

    /// <summary>Puts a body back into the envelope, compressing it when the header's flag says so.</summary>
    public static byte[] Close(byte[] header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        using var output = new MemoryStream();
        output.Write(header);
        if (header.Length >= 5 && header[4] == Lz4Flag)
        {
            output.Write(PackLz4(body));
        }
        else if (header.Length >= 5 && (header[4] & 1) != 0)
        {
            using var z = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true);
            z.Write(body);
        }
        else
        {
            output.Write(body);
        }

        return output.ToArray();
    }

    /// <summary>
    /// A decompression bomb: a small compressed message whose body inflates to <paramref name="inflatedBytes"/>
    /// (zeros, or <paramref name="prefix"/> followed by zeros).
    /// </summary>
    public static byte[] Bomb(long inflatedBytes, byte[]? prefix = null)
    {
        using var output = new MemoryStream();
        output.Write("ESB1"u8);
        output.WriteByte(1);
        using (var z = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            if (prefix is not null)
            {
                z.Write(prefix);
                inflatedBytes -= prefix.Length;
            }

            var zeros = new byte[64 * 1024];
            for (long left = inflatedBytes; left > 0; left -= zeros.Length)
            {
                z.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }

        return output.ToArray();
    }

    /// <summary>Mutates the body under the envelope (or the raw bytes when that fails or by chance).</summary>
    public static byte[] MutateInside(byte[] encoded, Random random, byte[]? donor = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (random.Next(4) != 0 && TryOpen(encoded, out var header, out var body))
        {
            byte[]? donorBody = donor is not null && TryOpen(donor, out _, out var db) ? db : donor;
            return Close(header, ByteMutator.Mutate(body, random, donorBody));
        }

        return ByteMutator.Mutate(encoded, random, donor);
    }
}
