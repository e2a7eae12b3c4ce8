using System.Text;
using EdgeSync.Internal;

namespace EdgeSync.Protocol;

/// <summary>
/// One column of an <see cref="InsertRun"/>: SQLite values stored unboxed (a type per row, integers and reals as
/// 64-bit numbers, text as UTF-8 and blobs as bytes in one shared buffer), so a run of a million rows costs no
/// allocation per value on the way from the sender's table to the receiver's. The arrays of numbers and of text
/// positions are allocated when the first such value arrives, so a column of one type carries none for the others.
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
        _numbers = [];
        _starts = [];
        _lengths = [];
        _data = [];
    }

    /// <summary>
    /// A column over decoded arrays; text and blob values are slices of <paramref name="data"/>. Each of
    /// <paramref name="numbers"/>, <paramref name="starts"/> and <paramref name="lengths"/> is either empty (no value
    /// of that kind) or as long as <paramref name="types"/>.
    /// </summary>
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

    /// <summary>
    /// Makes a decoded column whose text and blob values are slices of <paramref name="from"/> read them at the same
    /// offsets of <paramref name="to"/>, a copy, so <paramref name="from"/> can be reused.
    /// </summary>
    internal void MoveData(byte[] from, byte[] to)
    {
        if (ReferenceEquals(_data, from))
        {
            _data = to;
            _dataLength = to.Length;
        }
    }

    /// <summary>Number of values.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of text and blob values held.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>The SQLite storage class of value <paramref name="i"/>: 0 null, 1 integer, 2 real, 3 text, 4 blob.</summary>
    public byte TypeAt(int i) => _types[Check(i)];

    /// <summary>Value <paramref name="i"/> as an integer (only meaningful when <see cref="TypeAt"/> is 1).</summary>
    public long Int64At(int i) => Check(i) < _numbers.Length ? _numbers[i] : 0;

    /// <summary>Value <paramref name="i"/> as a real (only meaningful when <see cref="TypeAt"/> is 2).</summary>
    public double DoubleAt(int i) => BitConverter.Int64BitsToDouble(Int64At(i));

    /// <summary>The UTF-8 text or blob bytes of value <paramref name="i"/> (empty for other types).</summary>
    public ReadOnlySpan<byte> BytesAt(int i) => Check(i) < _starts.Length ? _data.AsSpan(_starts[i], _lengths[i]) : default;

    /// <summary>Value <paramref name="i"/> as the object Microsoft.Data.Sqlite would give (boxes; for slow paths).</summary>
    public object? ValueAt(int i) => TypeAt(i) switch
    {
        ValueTag.Integer => Int64At(i),
        ValueTag.Real => DoubleAt(i),
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
        NumbersFor(i) = value;
    }

    /// <summary>Appends a real.</summary>
    public void AddDouble(double value)
    {
        int i = Next(ValueTag.Real);
        NumbersFor(i) = BitConverter.DoubleToInt64Bits(value);
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
        if (_starts.Length == 0)
        {
            _starts = new int[_types.Length];
            _lengths = new int[_types.Length];
        }

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
            GrowIfAllocated(ref _numbers, size);
            GrowIfAllocated(ref _starts, size);
            GrowIfAllocated(ref _lengths, size);
        }

        int i = Count++;
        _types[i] = type;
        return i;
    }

    private static void GrowIfAllocated<T>(ref T[] array, int size)
    {
        if (array.Length > 0)
        {
            Array.Resize(ref array, size);
        }
    }

    private ref long NumbersFor(int i)
    {
        if (_numbers.Length == 0)
        {
            _numbers = new long[_types.Length];
        }

        return ref _numbers[i];
    }

    private int Check(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i));
}
