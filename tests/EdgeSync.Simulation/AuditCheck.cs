using EdgeSync.Clocks;

namespace EdgeSync.Simulation;

/// <summary>
/// Every loss an apply decides is in its conflict audit: when applying a batch replaces a column's value with another value
/// written without seeing it (a concurrent write that wins by its clock), the replica records the replaced write as the
/// loser (equal values are no conflict, docs/design.md).
/// </summary>
internal static class AuditCheck
{
    /// <summary>The clock of every column outside the key of every live row (key columns are never a conflict).</summary>
    public static Dictionary<string, (long Cl, CellClock Clock, string Value)> Cells(SimSite s) => Cells(StateTracker.States(s));

    /// <summary>The clock of every column outside the key of every live row of <paramref name="states"/>.</summary>
    public static Dictionary<string, (long Cl, CellClock Clock, string Value)> Cells(IEnumerable<(string Key, Schema.TableInfo Info, Merge.RowState State)> states)
    {
        var cells = new Dictionary<string, (long, CellClock, string)>(StringComparer.Ordinal);
        foreach (var (key, info, state) in states)
        {
            if (state.IsDeleted)
            {
                continue;
            }

            for (int c = 0; c < state.Clocks.Length && c < info.Columns.Count; c++)
            {
                if (!info.PrimaryKey.Contains(c))
                {
                    cells[key + "\u0001" + info.Columns[c]] = (state.CausalLength, state.Clocks[c], Merge.SqlValue.Display(state.Values![c]));
                }
            }
        }

        return cells;
    }

    public static long LastConflictId(SyncDatabase db) => db.Status.GetConflicts(1) is [var last] ? last.Id : 0;

    /// <summary>Null when every column the apply overwrote with a write that had not seen it has an audit record.</summary>
    public static string? LossesAudited(SimSite s, Dictionary<string, (long Cl, CellClock Clock, string Value)> before, long lastConflict) =>
        LossesAudited(s.Db!, before, Cells(s), lastConflict);

    /// <summary>Null when every column that went from <paramref name="before"/> to <paramref name="after"/> with a write
    /// that had not seen it has an audit record newer than <paramref name="lastConflict"/>.</summary>
    public static string? LossesAudited(
        SyncDatabase db, Dictionary<string, (long Cl, CellClock Clock, string Value)> before, Dictionary<string, (long Cl, CellClock Clock, string Value)> after, long lastConflict)
    {
        var recorded = db.Status.GetConflicts(int.MaxValue).Where(c => c.Id > lastConflict)
            .Select(c => (c.Table + ":" + c.Key + "\u0001" + c.Column, c.LoserHlc, c.LoserSite))
            .ToHashSet();
        foreach (var (cell, (cl, now, value)) in after)
        {
            if (!before.TryGetValue(cell, out var was) || was.Cl != cl || was.Clock.IsUnwritten || was.Value == value || now.SameEvent(was.Clock) || now.HasSeen(was.Clock))
            {
                continue;
            }

            int dot = cell.IndexOf('\u0001', StringComparison.Ordinal);
            string tableAndKey = cell[..dot];
            if (!recorded.Any(r => string.Equals(r.Item1, cell, StringComparison.OrdinalIgnoreCase) && r.LoserHlc == was.Clock.Hlc && r.LoserSite == was.Clock.Site))
            {
                return $"{db.SiteId}: {tableAndKey} column {cell[(dot + 1)..]} went from {was.Clock} to {now}, a write that had not seen it, "
                    + "and the conflict audit has no record of the loss";
            }
        }

        return null;
    }
}
