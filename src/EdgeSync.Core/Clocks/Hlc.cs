namespace EdgeSync.Clocks;

/// <summary>
/// A hybrid logical clock timestamp packed in 64 bits: the upper 48 bits are Unix milliseconds, the lower 16 a
/// logical counter that orders events within the same millisecond. Comparable as a plain integer.
/// </summary>
public readonly record struct Hlc(long Value) : IComparable<Hlc>
{
    private const int CounterBits = 16;
    private const long CounterMask = (1L << CounterBits) - 1;

    /// <summary>The zero timestamp, older than any real event.</summary>
    public static Hlc Zero => default;

    /// <summary>The physical part, in Unix milliseconds.</summary>
    public long Milliseconds => Value >>> CounterBits;

    /// <summary>The logical counter within <see cref="Milliseconds"/>.</summary>
    public int Counter => (int)(Value & CounterMask);

    /// <summary>Builds a timestamp from its parts.</summary>
    public static Hlc From(long milliseconds, int counter) => new((milliseconds << CounterBits) | (counter & CounterMask));

    /// <summary>The largest counter value; one more tick carries into the next millisecond.</summary>
    internal const int MaxCounter = (int)CounterMask;

    /// <inheritdoc />
    public int CompareTo(Hlc other) => Value.CompareTo(other.Value);

    /// <summary>Orders by value.</summary>
    public static bool operator <(Hlc left, Hlc right) => left.Value < right.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator >(Hlc left, Hlc right) => left.Value > right.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator <=(Hlc left, Hlc right) => left.Value <= right.Value;

    /// <summary>Orders by value.</summary>
    public static bool operator >=(Hlc left, Hlc right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Milliseconds <= MaxDisplayableMilliseconds
        ? $"{DateTimeOffset.FromUnixTimeMilliseconds(Milliseconds):yyyy-MM-ddTHH:mm:ss.fffZ}#{Counter}"
        : $"{Milliseconds} ms after 1970 (past year 9999)#{Counter}"; // only a corrupt or hostile clock gets here

    private const long MaxDisplayableMilliseconds = 253_402_300_799_999;
}
