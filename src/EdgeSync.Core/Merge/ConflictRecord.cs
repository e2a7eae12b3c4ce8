namespace EdgeSync.Merge;

/// <summary>One row of the conflict audit (<c>_edgesync_conflicts</c>): a write that lost a merge on this replica.</summary>
/// <param name="Id">Audit row id (increasing).</param>
/// <param name="At">When the merge happened here.</param>
/// <param name="Table">Table name.</param>
/// <param name="Key">Primary key, rendered as SQL literals.</param>
/// <param name="Column">The column, or null when the whole row lost (delete against update).</param>
/// <param name="Rule">The rule that decided: lww, delete-wins or newer-incarnation-wins.</param>
/// <param name="WinnerValue">The value kept (null for a delete).</param>
/// <param name="WinnerHlc">The winning write's HLC.</param>
/// <param name="WinnerSite">The winning write's origin site.</param>
/// <param name="LoserValue">The value discarded (null for a whole-row loss).</param>
/// <param name="LoserHlc">The losing write's HLC.</param>
/// <param name="LoserSite">The losing write's origin site.</param>
public sealed record ConflictRecord(
    long Id,
    DateTimeOffset At,
    string Table,
    string Key,
    string? Column,
    string Rule,
    object? WinnerValue,
    Clocks.Hlc WinnerHlc,
    string WinnerSite,
    object? LoserValue,
    Clocks.Hlc LoserHlc,
    string LoserSite);
