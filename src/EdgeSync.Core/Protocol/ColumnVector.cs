using System.Text;
using EdgeSync.Internal;

namespace EdgeSync.Protocol;

/// <summary>
/// One column of an <see cref="InsertRun"/>: SQLite values stored unboxed (a type per row, integers and reals as
/// 64-bit numbers, text as UTF-8 and blobs as bytes in one shared buffer), so a run of a million rows costs no
/// allocation per value on the way from the sender's table to the receiver's.
/// </summary>
public sealed class ColumnVector
{
    private byte[] _types;
    private long[] _numbers;
    private int[] _starts;
    private int[] _lengths;
    private byte[] _data;
    private int _dataLength;

    /// <summary>An empty column with room for <paramref name="capacity"/> values.</summary>
    public ColumnVector(int capacity = 16)
    {
        capacity = Math.Max(capacity, 1);
        _types = new byte[capacity];
        _numbers = new long[capacity];
        _starts = new int[capacity];
        _lengths = new int[capacity];
        _data = [];
    }

    /// <summary>A column over decoded arrays; text and blob values are slices of <paramref name="data"/>.</summary>
    internal ColumnVector(byte[] types, long[] numbers, int[] starts, int[] lengths, byte[] data, int count)
    {
        _types = types;
        _numbers = numbers;
        _starts = starts;
        _lengths = lengths;
        _data = data;
        _dataLength = data.Length;
        Count = count;
    }

    /// <summary>Number of values.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of text and blob values held.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>The SQLite storage class of value <paramref name="i"/>: 0 null, 1 integer, 2 real, 3 text, 4 blob.</summary>
    public byte TypeAt(int i) => _types[Check(i)];

    /// <summary>Value <paramref name="i"/> as an integer (only meaningful when <see cref="TypeAt"/> is 1).</summary>
    public long Int64At(int i) => _numbers[Check(i)];

    /// <summary>Value <paramref name="i"/> as a real (only meaningful when <see cref="TypeAt"/> is 2).</summary>
    public double DoubleAt(int i) => BitConverter.Int64BitsToDouble(_numbers[Check(i)]);

    /// <summary>The UTF-8 text or blob bytes of value <paramref name="i"/> (empty for other types).</summary>
    public ReadOnlySpan<byte> BytesAt(int i) => _data.AsSpan(_starts[Check(i)], _lengths[i]);

    /// <summary>Value <paramref name="i"/> as the object Microsoft.Data.Sqlite would give (boxes; for slow paths).</summary>
    public object? ValueAt(int i) => TypeAt(i) switch
    {
        ValueTag.Integer => _numbers[i],
        ValueTag.Real => BitConverter.Int64BitsToDouble(_numbers[i]),
        ValueTag.Text => Encoding.UTF8.GetString(BytesAt(i)),
        ValueTag.Blob => BytesAt(i).ToArray(),
        _ => null,
    };

    /// <summary>Appends a null.</summary>
    public void AddNull() => Next(ValueTag.Null);

    /// <summary>Appends an integer.</summary>
    public void AddInt64(long value)
    {
        int i = Next(ValueTag.Integer); // before indexing: Next may grow the arrays
        _numbers[i] = value;
    }

    /// <summary>Appends a real.</summary>
    public void AddDouble(double value)
    {
        int i = Next(ValueTag.Real);
        _numbers[i] = BitConverter.DoubleToInt64Bits(value);
    }

    /// <summary>Appends a text value given as UTF-8.</summary>
    public void AddText(ReadOnlySpan<byte> utf8) => AddBytes(ValueTag.Text, utf8);

    /// <summary>Appends a blob.</summary>
    public void AddBlob(ReadOnlySpan<byte> bytes) => AddBytes(ValueTag.Blob, bytes);

    /// <summary>Appends a boxed SQLite value (null, long, double, string or byte[]).</summary>
    public void Add(object? value)
    {
        switch (value)
        {
            case null:
                AddNull();
                break;
            case long l:
                AddInt64(l);
                break;
            case double d:
                AddDouble(d);
                break;
            case string s:
                AddText(Encoding.UTF8.GetBytes(s));
                break;
            case byte[] b:
                AddBlob(b);
                break;
            default:
                throw new ArgumentException($"not a SQLite value: {value.GetType().Name}", nameof(value));
        }
    }

    private void AddBytes(byte type, ReadOnlySpan<byte> bytes)
    {
        int i = Next(type);
        if (_dataLength + bytes.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(Math.Max(_data.Length * 2, 256), _dataLength + bytes.Length));
        }

        bytes.CopyTo(_data.AsSpan(_dataLength));
        _starts[i] = _dataLength;
        _lengths[i] = bytes.Length;
        _dataLength += bytes.Length;
        PayloadBytes += bytes.Length;
    }

    private int Next(byte type)
    {
        if (Count == _types.Length)
        {
            int size = _types.Length * 2;
            Array.Resize(ref _types, size);
            Array.Resize(ref _numbers, size);
            Array.Resize(ref _starts, size);
            Array.Resize(ref _lengths, size);
        }

        int i = Count++;
        _types[i] = type;
        _starts[i] = 0;
        _lengths[i] = 0;
        return i;
    }

    private int Check(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i));
}
