namespace EdgeSync.Clocks;

/// <summary>
/// The clock of one write to one cell (or of a row's delete): the event's HLC, origin site and per-origin sequence
/// number, plus the HLC and site of the value that the writer overwrote (<see cref="PrevHlc"/>,
/// <see cref="PrevSite"/>), which lets a merge tell a causal overwrite from a true conflict.
/// Ordered by (HLC, site, sequence): a total order that every replica computes the same way.
/// </summary>
public readonly record struct CellClock(Hlc Hlc, string Site, long Seq, Hlc PrevHlc, string PrevSite)
    : IComparable<CellClock>
{
    /// <summary>
    /// The clock of a cell nobody has written: a column added after the row was last written here, or a column the
    /// sender of a row state does not have. It orders before every real write, so any write wins over it, and a row
    /// inserted with such a cell takes the column's declared default.
    /// </summary>
    public static CellClock Unwritten { get; } = new(default, "", 0, default, "");

    /// <summary>True for <see cref="Unwritten"/>.</summary>
    public bool IsUnwritten => Seq == 0 && Hlc.Value == 0;

    /// <summary>Compares by (HLC, site id ordinal, sequence).</summary>
    public int CompareTo(CellClock other)
    {
        int c = Hlc.CompareTo(other.Hlc);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(Site, other.Site);
        return c != 0 ? c : Seq.CompareTo(other.Seq);
    }

    /// <summary>True when this is the same event as <paramref name="other"/> (same origin and sequence).</summary>
    public bool SameEvent(CellClock other) => Seq == other.Seq && string.Equals(Site, other.Site, StringComparison.Ordinal);

    /// <summary>
    /// True when the writer of this value had already seen a value at least as recent as <paramref name="other"/>
    /// when it wrote, so <paramref name="other"/> losing to it is an ordinary overwrite, not a conflict.
    /// </summary>
    public bool Supersedes(CellClock other)
    {
        int c = PrevHlc.CompareTo(other.Hlc);
        return c > 0 || (c == 0 && string.CompareOrdinal(PrevSite, other.Site) >= 0);
    }

    /// <summary>Orders by (HLC, site, sequence).</summary>
    public static bool operator <(CellClock left, CellClock right) => left.CompareTo(right) < 0;

    /// <summary>Orders by (HLC, site, sequence).</summary>
    public static bool operator >(CellClock left, CellClock right) => left.CompareTo(right) > 0;

    /// <summary>Orders by (HLC, site, sequence).</summary>
    public static bool operator <=(CellClock left, CellClock right) => left.CompareTo(right) <= 0;

    /// <summary>Orders by (HLC, site, sequence).</summary>
    public static bool operator >=(CellClock left, CellClock right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{Hlc}@{Site}:{Seq}";
}
