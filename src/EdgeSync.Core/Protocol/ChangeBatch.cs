using EdgeSync.Clocks;

namespace EdgeSync.Protocol;

/// <summary>
/// A bounded, self-contained unit of sync: row states from one sender, the origin ranges they complete, and the
/// sender's version vector at extraction time. Applying a batch is idempotent and commutative.
/// </summary>
public sealed class ChangeBatch
{
    /// <summary>Creates a batch.</summary>
    public ChangeBatch(string sender, VersionVector senderVector, IReadOnlyList<OriginRange> ranges, IReadOnlyList<TableChangeSet> tables)
    {
        Sender = sender;
        SenderVector = senderVector;
        Ranges = ranges;
        Tables = tables;
    }

    /// <summary>Site id of the replica that extracted the batch.</summary>
    public string Sender { get; }

    /// <summary>What the sender had when it extracted the batch.</summary>
    public VersionVector SenderVector { get; }

    /// <summary>The origin ranges this batch completes.</summary>
    public IReadOnlyList<OriginRange> Ranges { get; }

    /// <summary>
    /// What the sender disclaimed after its clock was set right, per origin: (<see cref="OriginRange.From"/>,
    /// <see cref="OriginRange.To"/>] are events it held (its row states still reflect them, re-stamped or withheld) but
    /// no longer claims in <see cref="SenderVector"/>, which is at <see cref="OriginRange.From"/> or above. A receiver
    /// that compacted events of that origin up to <see cref="OriginRange.To"/> takes the batch: it carries no row state
    /// older than them. Empty from a sender that disclaimed nothing, or speaks protocol 3 or older.
    /// </summary>
    public IReadOnlyList<OriginRange> Disclaimed { get; init; } = [];

    /// <summary>Row states grouped by table.</summary>
    public IReadOnlyList<TableChangeSet> Tables { get; }

    /// <summary>
    /// How far the sender's row states reflect the changes of <paramref name="site"/>: its vector, or what it held
    /// before it disclaimed some of them (<see cref="Disclaimed"/>), whichever is higher.
    /// </summary>
    public long Reflects(string site)
    {
        long held = SenderVector[site];
        foreach (var d in Disclaimed)
        {
            if (string.Equals(d.Site, site, StringComparison.Ordinal) && d.From <= held)
            {
                held = Math.Max(held, d.To);
            }
        }

        return held;
    }

    /// <summary>Total rows in the batch.</summary>
    public int RowCount => Tables.Sum(t => t.RowCount);

    /// <summary>The receiver's vector after applying this batch, given its vector before.</summary>
    public VersionVector Advance(VersionVector before)
    {
        var v = before;
        foreach (var r in Ranges)
        {
            if (r.From <= v[r.Site])
            {
                v = v.With(r.Site, r.To);
            }
        }

        return v;
    }
}
