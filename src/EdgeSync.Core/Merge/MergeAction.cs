namespace EdgeSync.Merge;

/// <summary>What applying a merge result must do to the user table.</summary>
internal enum MergeAction
{
    /// <summary>The local row is unchanged (metadata may still change, see <see cref="MergeOutcome.MetadataChanged"/>).</summary>
    None,

    /// <summary>Insert the row (it did not exist locally).</summary>
    Insert,

    /// <summary>Update the columns flagged in <see cref="MergeOutcome.ChangedColumns"/>.</summary>
    Update,

    /// <summary>Replace the whole row (a newer incarnation of a live row).</summary>
    Replace,

    /// <summary>Delete the row.</summary>
    Delete,
}
