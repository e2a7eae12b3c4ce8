using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeSync.Internal;

/// <summary>
/// A growable buffer with varint and SQLite-value encoders. Reuse with <see cref="Clear"/>. A writer created over an
/// <see cref="ArrayPool{T}"/> rents its buffers (growth rents a larger one and returns the old one); its owner calls
/// <see cref="ReturnBuffer"/> when done with what was written.
/// </summary>
internal sealed class ByteWriter
{
    /// <summary>The most bytes a varint of 64 bits takes.</summary>
    public const int MaxVarIntBytes = 10;

    private readonly ArrayPool<byte>? _pool;
    private byte[] _buffer;
    private int _length;

    public ByteWriter(int capacity = 256) => _buffer = new byte[capacity];

    /// <summary>A writer whose buffers are rented from <paramref name="pool"/>.</summary>
    public ByteWriter(ArrayPool<byte> pool, int capacity)
    {
        _pool = pool;
        _buffer = pool.Rent(capacity);
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void Clear() => _length = 0;

    /// <summary>Gives a rented buffer back to its pool and empties the writer; what was written must no longer be used.</summary>
    public void ReturnBuffer()
    {
        if (_pool is not null && _buffer.Length > 0)
        {
            _pool.Return(_buffer);
        }

        _buffer = [];
        _length = 0;
    }

    private void Grow(int size)
    {
        int capacity = Math.Max(_buffer.Length * 2, _length + size);
        if (_pool is null)
        {
            Array.Resize(ref _buffer, capacity);
            return;
        }

        var larger = _pool.Rent(capacity);
        _buffer.AsSpan(0, _length).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
        }

        _buffer = larger;
    }

    private Span<byte> Reserve(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Grow(size);
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

    public void WriteByte(byte value)
    {
        if (_length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_length++] = value;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    public void WriteVarUInt(ulong value)
    {
        if (_buffer.Length - _length < MaxVarIntBytes)
        {
            Grow(MaxVarIntBytes);
        }

        _length += WriteVarUInt(_buffer.AsSpan(_length), value);
    }

    /// <summary>Writes <paramref name="value"/> as a varint at the start of <paramref name="destination"/>; returns the bytes used.</summary>
    public static int WriteVarUInt(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[n++] = (byte)value;
        return n;
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
