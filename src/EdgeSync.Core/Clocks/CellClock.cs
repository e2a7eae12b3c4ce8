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
    /// True when the value this write overwrote was at least as recent as <paramref name="other"/> by clock order. A
    /// necessary condition for the writer to have seen <paramref name="other"/> (false: it certainly had not), not a
    /// sufficient one: a writer that overwrote its own later value, or a later value from a third site, had not
    /// necessarily received <paramref name="other"/>. The conflict audit decides with <see cref="HasSeen"/>.
    /// </summary>
    public bool Supersedes(CellClock other)
    {
        int c = PrevHlc.CompareTo(other.Hlc);
        return c > 0 || (c == 0 && string.CompareOrdinal(PrevSite, other.Site) >= 0);
    }

    /// <summary>
    /// True only when the writer of this value certainly held <paramref name="other"/> when it wrote, so
    /// <paramref name="other"/> losing to it is an ordinary overwrite, not a conflict (docs/design.md, "Conflicts").
    /// A site holds every event it issued and, per origin, a gapless prefix of sequence numbers, so the writer held:
    /// <list type="bullet">
    /// <item>its own earlier events (same site, lower sequence);</item>
    /// <item>the event it overwrote (<see cref="PrevHlc"/>, <see cref="PrevSite"/>), and every earlier event of that
    /// origin — judged by HLC, which grows with the sequence number only under an id that was never re-stamped into
    /// (a base id; an incarnation <c>site~N</c> re-stamps events keeping their own times, so only the overwritten
    /// event itself counts there).</item>
    /// </list>
    /// Anything else counts as not seen: a false answer may be a write the writer had in fact received (the audit then
    /// holds a record too many), never the reverse. The unwritten clock is seen by every write.
    /// </summary>
    internal bool HasSeen(CellClock other)
    {
        if (other.IsUnwritten || SameEvent(other))
        {
            return true;
        }

        if (string.Equals(Site, other.Site, StringComparison.Ordinal))
        {
            return other.Seq < Seq;
        }

        if (!string.Equals(PrevSite, other.Site, StringComparison.Ordinal))
        {
            return false;
        }

        int c = other.Hlc.CompareTo(PrevHlc);
        return c == 0 || (c < 0 && !other.Site.Contains('~', StringComparison.Ordinal));
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
