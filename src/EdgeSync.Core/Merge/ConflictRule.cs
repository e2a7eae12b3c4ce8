namespace EdgeSync.Merge;

/// <summary>The rule that decided a conflict; stored in the conflict audit by its kebab-case name.</summary>
internal enum ConflictRule
{
    /// <summary>Two writes to the same column: the one with the greater (HLC, site, sequence) wins.</summary>
    LastWriterWins,

    /// <summary>A delete beat a concurrent update or insert of the same row incarnation.</summary>
    DeleteWins,

    /// <summary>A newer incarnation of the row (re-insert after delete) beat writes to an older one.</summary>
    NewerIncarnationWins,
}
