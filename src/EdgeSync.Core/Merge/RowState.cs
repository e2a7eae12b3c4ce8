using EdgeSync.Clocks;

namespace EdgeSync.Merge;

/// <summary>
/// The complete sync state of one row: its causal length (odd = alive, even = deleted; every delete and every
/// re-insert adds one), and for a live row each column's value and the clock of the write that set it. A deleted
/// row (tombstone) carries one clock: the delete's. States are joined by <see cref="RowMerge"/>.
/// </summary>
public sealed class RowState
{
    /// <summary>Creates a live row state; <paramref name="values"/> and <paramref name="clocks"/> are per column.</summary>
    public static RowState Alive(long causalLength, object?[] values, CellClock[] clocks)
    {
        if (causalLength % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(causalLength), "a live row has an odd causal length");
        }

        if (values.Length != clocks.Length)
        {
            throw new ArgumentException("one clock per column is required", nameof(clocks));
        }

        return new RowState(causalLength, values, clocks);
    }

    /// <summary>Creates a tombstone; the delete clock's Prev is the newest column clock the deleter had seen.</summary>
    public static RowState Deleted(long causalLength, CellClock deleteClock)
    {
        if (causalLength % 2 != 0 || causalLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(causalLength), "a deleted row has a positive even causal length");
        }

        return new RowState(causalLength, null, [deleteClock]);
    }

    private RowState(long causalLength, object?[]? values, CellClock[] clocks)
    {
        CausalLength = causalLength;
        Values = values;
        Clocks = clocks;
    }

    /// <summary>Odd while the row exists, even once deleted.</summary>
    public long CausalLength { get; }

    /// <summary>Column values in table order; null for a tombstone.</summary>
    public object?[]? Values { get; }

    /// <summary>Per-column clocks for a live row; the single delete clock for a tombstone.</summary>
    public CellClock[] Clocks { get; }

    /// <summary>True for a tombstone.</summary>
    public bool IsDeleted => Values is null;

    /// <summary>The greatest clock in this state.</summary>
    public CellClock Newest
    {
        get
        {
            var max = Clocks[0];
            for (int i = 1; i < Clocks.Length; i++)
            {
                if (Clocks[i] > max)
                {
                    max = Clocks[i];
                }
            }

            return max;
        }
    }
}
