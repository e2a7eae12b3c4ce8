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

    /// <summary>Row states grouped by table.</summary>
    public IReadOnlyList<TableChangeSet> Tables { get; }

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
