namespace EdgeSync.Merge;

/// <summary>The result of joining a local and an incoming <see cref="RowState"/>.</summary>
internal sealed class MergeOutcome
{
    internal MergeOutcome(RowState result, MergeAction action, bool[]? changedColumns, bool metadataChanged, List<MergeConflict>? conflicts)
    {
        Result = result;
        Action = action;
        ChangedColumns = changedColumns;
        MetadataChanged = metadataChanged;
        Conflicts = (IReadOnlyList<MergeConflict>?)conflicts ?? [];
    }

    /// <summary>The joined state.</summary>
    public RowState Result { get; }

    /// <summary>What to do to the user table.</summary>
    public MergeAction Action { get; }

    /// <summary>For <see cref="MergeAction.Update"/>, which columns take the incoming value.</summary>
    public bool[]? ChangedColumns { get; }

    /// <summary>True when the stored clocks must be rewritten (always true when <see cref="Action"/> is not None).</summary>
    public bool MetadataChanged { get; }

    /// <summary>Writes that lost in this merge.</summary>
    public IReadOnlyList<MergeConflict> Conflicts { get; }
}
