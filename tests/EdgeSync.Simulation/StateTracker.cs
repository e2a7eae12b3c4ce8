using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Remembers, for every row, the greatest state any replica ever held: the highest causal length and, at that
/// length, each column's greatest clock. At the end every replica must hold at least that — so no committed write
/// was lost (it still wins, or a greater write replaced it) and no deleted row came back (a tombstone's causal length
/// can only be passed by a re-insert that saw it).
/// </summary>
public sealed class StateTracker
{
    private readonly Dictionary<string, (long Cl, CellClock[]? Clocks)> _max = new(StringComparer.Ordinal);

    public int Rows => _max.Count;

    public void Observe(SyncDatabase db)
    {
        foreach (var (key, state) in States(db))
        {
            if (!_max.TryGetValue(key, out var seen) || state.CausalLength > seen.Cl)
            {
                _max[key] = (state.CausalLength, state.IsDeleted ? null : (CellClock[])state.Clocks.Clone());
            }
            else if (state.CausalLength == seen.Cl && seen.Clocks is { } clocks && !state.IsDeleted)
            {
                // A replica that has added a column holds more clocks than one that has not (columns are only added here).
                if (state.Clocks.Length > clocks.Length)
                {
                    var wider = new CellClock[state.Clocks.Length];
                    clocks.CopyTo(wider, 0);
                    Array.Fill(wider, CellClock.Unwritten, clocks.Length, wider.Length - clocks.Length);
                    _max[key] = (seen.Cl, clocks = wider);
                }

                for (int c = 0; c < Math.Min(clocks.Length, state.Clocks.Length); c++)
                {
                    if (state.Clocks[c] > clocks[c])
                    {
                        clocks[c] = state.Clocks[c];
                    }
                }
            }
        }
    }

    /// <summary>Null when <paramref name="db"/> holds at least everything ever observed; else what it lost.</summary>
    public string? Verify(SyncDatabase db)
    {
        var final = States(db).ToDictionary(s => s.Key, s => s.State, StringComparer.Ordinal);
        foreach (var (key, (cl, clocks)) in _max)
        {
            if (!final.TryGetValue(key, out var state))
            {
                return $"{db.SiteId} lost row {key} (had reached causal length {cl})";
            }

            if (state.CausalLength < cl)
            {
                return $"{db.SiteId} holds {key} at causal length {state.CausalLength}, but {cl} was reached" + (cl % 2 == 0 ? " (a deleted row came back)" : "");
            }

            if (state.CausalLength == cl && clocks is not null)
            {
                for (int c = 0; c < clocks.Length; c++)
                {
                    // A column added after the row was written holds its default with the unwritten clock here, while a
                    // replica that keeps the row as an insert range reads the range's clock for it: same value (the
                    // final SELECT * comparison checks every column), and any later write of it beats both.
                    if (c >= state.Clocks.Length || (state.Clocks[c] < clocks[c] && !state.Clocks[c].IsUnwritten))
                    {
                        return $"{db.SiteId} lost a write to {key} column {c}: holds {(c < state.Clocks.Length ? state.Clocks[c] : "no such column")}, {clocks[c]} was committed";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Null when every conflict-audit record of <paramref name="db"/> agrees with its final state: a write recorded as
    /// having lost is never what the column holds at the end (the join only moves past a winner).
    /// </summary>
    public static string? VerifyAudit(SyncDatabase db)
    {
        var final = new Dictionary<string, (IReadOnlyList<string> Columns, RowState State)>(StringComparer.Ordinal);
        foreach (var batch in db.GetChanges(VersionVector.Empty))
        {
            foreach (var t in batch.Tables)
            {
                foreach (var row in t.AllRows())
                {
                    final[t.Table + ":" + AuditKey(row.Key)] = (t.Columns, row.State);
                }
            }
        }

        foreach (var c in db.Status.GetConflicts(int.MaxValue))
        {
            if (!final.TryGetValue(c.Table + ":" + c.Key, out var f))
            {
                continue; // the row is gone: a later delete, consistent with any earlier decision
            }

            var clocks = f.State.Clocks;
            if (c.Column is not null && !f.State.IsDeleted)
            {
                int i = f.Columns.ToList().FindIndex(n => string.Equals(n, c.Column, StringComparison.OrdinalIgnoreCase));
                var now = clocks[i];
                if (now.Hlc == c.LoserHlc && now.Site == c.LoserSite)
                {
                    return $"{db.SiteId}: audit record {c.Id} ({c.Table} {c.Key}.{c.Column}: {c.Rule}, winner {c.WinnerHlc}@{c.WinnerSite}) "
                        + $"disagrees with the final state {now}";
                }
            }
        }

        return null;
    }

    private static string AuditKey(object?[] key) =>
        key.Length == 1 ? SqlValue.Display(key[0]) : "(" + string.Join(", ", key.Select(SqlValue.Display)) + ")";

    private static IEnumerable<(string Key, RowState State)> States(SyncDatabase db)
    {
        foreach (var batch in db.GetChanges(VersionVector.Empty))
        {
            foreach (var t in batch.Tables)
            {
                foreach (var row in t.AllRows())
                {
                    yield return (t.Table + ":" + string.Join("|", row.Key.Select(SqlValue.Display)), row.State);
                }
            }
        }
    }
}
