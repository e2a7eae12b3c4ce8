using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeSync.Internal;

/// <summary>A growable buffer with varint and SQLite-value encoders. Reuse with <see cref="Clear"/>.</summary>
internal sealed class ByteWriter
{
    private byte[] _buffer;
    private int _length;

    public ByteWriter(int capacity = 256) => _buffer = new byte[capacity];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void Clear() => _length = 0;

    private Span<byte> Reserve(int size)
    {
        if (_length + size > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }

        var span = _buffer.AsSpan(_length, size);
        _length += size;
        return span;
    }

    /// <summary>Room for up to <paramref name="max"/> bytes written directly; <see cref="Advance"/> by what was used.</summary>
    public Span<byte> GetSpan(int max)
    {
        var span = Reserve(max);
        _length -= max;
        return span;
    }

    public void Advance(int count) => _length += count;

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    public void WriteVarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        WriteByte((byte)value);
    }

    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    public void WriteString(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max < 128)
        {
            Span<byte> tmp = stackalloc byte[max];
            int n = Encoding.UTF8.GetBytes(value, tmp);
            WriteVarUInt((uint)n);
            WriteBytes(tmp[..n]);
            return;
        }

        int count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((uint)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>Writes a SQLite value as a tag byte and payload.</summary>
    public void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                WriteByte(ValueTag.Null);
                break;
            case long l:
                WriteByte(ValueTag.Integer);
                WriteVarInt(l);
                break;
            case double d:
                WriteByte(ValueTag.Real);
                WriteInt64(BitConverter.DoubleToInt64Bits(d));
                break;
            case string s:
                WriteByte(ValueTag.Text);
                WriteString(s);
                break;
            case byte[] b:
                WriteByte(ValueTag.Blob);
                WriteVarUInt((uint)b.Length);
                WriteBytes(b);
                break;
            default:
                throw new ArgumentException($"not a SQLite value: {value.GetType().Name}", nameof(value));
        }
    }

    public void CopyTo(IBufferWriter<byte> destination) => destination.Write(WrittenSpan);
}
