using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Protocol;

/// <summary>
/// Rows of an <c>append</c> table inserted at their origin by one sealed insert range, shipped column by column:
/// every row is a first incarnation (causal length 1) whose columns were all written by one event, the clock
/// <c>(Hlc, Site, FirstSeq + (rowid − Rowids[0]))</c> with no previous write. It stands for exactly the row states
/// <see cref="Materialize"/> returns; it only saves their per-row cost.
/// </summary>
public sealed class InsertRun
{
    /// <summary>Creates a run; <paramref name="rowids"/> ascend strictly and every column has one value per rowid.</summary>
    public InsertRun(string site, Hlc hlc, long firstSeq, long[] rowids, int count, ColumnVector[] columns)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(rowids);
        ArgumentNullException.ThrowIfNull(columns);
        if (count < 1 || count > rowids.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "a run has at least one row and no more than its rowids");
        }

        if (firstSeq < 1 || rowids[count - 1] - rowids[0] > long.MaxValue - firstSeq)
        {
            throw new ArgumentOutOfRangeException(nameof(firstSeq), "sequence numbers of a run must be positive and fit in 64 bits");
        }

        for (int i = 1; i < count; i++)
        {
            if (rowids[i] <= rowids[i - 1])
            {
                throw new ArgumentException("rowids of a run must ascend strictly", nameof(rowids));
            }
        }

        foreach (var c in columns)
        {
            if (c.Count != count)
            {
                throw new ArgumentException("every column of a run needs one value per row", nameof(columns));
            }
        }

        Site = site;
        Hlc = hlc;
        FirstSeq = firstSeq;
        Rowids = rowids;
        Count = count;
        Columns = columns;
    }

    /// <summary>The origin site.</summary>
    public string Site { get; }

    /// <summary>The insert range's HLC, shared by all its rows.</summary>
    public Hlc Hlc { get; }

    /// <summary>Sequence number of the first row; row <c>i</c> has <c>FirstSeq + (Rowids[i] − Rowids[0])</c>.</summary>
    public long FirstSeq { get; }

    /// <summary>Rowids (the INTEGER PRIMARY KEY), ascending; only the first <see cref="Count"/> are used.</summary>
    public long[] Rowids { get; }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>Column values in the change set's column order.</summary>
    public IReadOnlyList<ColumnVector> Columns { get; }

    /// <summary>Sequence number of the last row.</summary>
    public long LastSeq => SeqAt(Count - 1);

    /// <summary>Sequence number of row <paramref name="i"/>.</summary>
    public long SeqAt(int i) => FirstSeq + (Rowids[i] - Rowids[0]);

    /// <summary>The clock of every column of row <paramref name="i"/>.</summary>
    public CellClock ClockAt(int i) => new(Hlc, Site, SeqAt(i), Hlc.Zero, "");

    /// <summary>Row <paramref name="i"/> as an ordinary row change.</summary>
    public RowChange Materialize(int i)
    {
        var values = new object?[Columns.Count];
        var clocks = new CellClock[Columns.Count];
        var clock = ClockAt(i);
        for (int c = 0; c < values.Length; c++)
        {
            values[c] = Columns[c].ValueAt(i);
            clocks[c] = clock;
        }

        return new RowChange([Rowids[i]], RowState.Alive(1, values, clocks));
    }
}
