using System.Buffers.Binary;
using System.Text;

namespace EdgeSync.Internal;

/// <summary>
/// Reads what <see cref="ByteWriter"/> wrote. Every read is bounds-checked and throws
/// <see cref="FormatException"/> on truncated or malformed input, never reading past the end.
/// </summary>
internal ref struct ByteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public ByteReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly bool End => _pos >= _data.Length;

    public readonly int Remaining => _data.Length - _pos;

    public readonly int Position => _pos;

    public byte ReadByte()
    {
        if (_pos >= _data.Length)
        {
            throw new FormatException("unexpected end of data");
        }

        return _data[_pos++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _data.Length - _pos)
        {
            throw new FormatException($"length {count} runs past the end of the data");
        }

        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("varint is too long");
    }

    public long ReadVarInt()
    {
        ulong v = ReadVarUInt();
        return (long)(v >> 1) ^ -(long)(v & 1);
    }

    public int ReadCount(int max)
    {
        ulong v = ReadVarUInt();
        if (max < 0 || v > (ulong)max)
        {
            throw new FormatException($"count {v} exceeds the limit of {max}");
        }

        return (int)v;
    }

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes(ReadCount(int.MaxValue)));

    public object? ReadValue() => ReadByte() switch
    {
        ValueTag.Null => null,
        ValueTag.Integer => ReadVarInt(),
        ValueTag.Real => BitConverter.Int64BitsToDouble(ReadInt64()),
        ValueTag.Text => ReadString(),
        ValueTag.Blob => ReadBytes(ReadCount(int.MaxValue)).ToArray(),
        var t => throw new FormatException($"unknown value tag {t}"),
    };
}
