using EdgeSync.Clocks;

namespace EdgeSync.Merge;

/// <summary>
/// One write that lost a merge. <see cref="Column"/> is the column index, or -1 when the whole row lost
/// (delete against update). Values are null for a side that is a delete.
/// </summary>
internal readonly record struct MergeConflict(
    int Column,
    ConflictRule Rule,
    CellClock Winner,
    object? WinnerValue,
    CellClock Loser,
    object? LoserValue);
