namespace EdgeSync.Verify;

/// <summary>How one row differs between two replicas.</summary>
public enum RowDifferenceKind
{
    /// <summary>The row exists on both sides and at least one column differs.</summary>
    ValuesDiffer,

    /// <summary>The row exists only on the first replica.</summary>
    OnlyInFirst,

    /// <summary>The row exists only on the second replica.</summary>
    OnlyInSecond,
}
