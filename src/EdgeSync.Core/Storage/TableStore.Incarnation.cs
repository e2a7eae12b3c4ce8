using EdgeSync.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// What a new incarnation of a row (a delete, or an insert after one: the causal length moves on) clears: the values of
/// the old one that the new one's writer did not set (design.md §5, "A re-insert starts the row over").
/// </summary>
internal sealed partial class TableStore
{
    private const string ForgetStashKey = "stash";
    private const string StashRowKey = "stash-row";

    /// <summary>
    /// Puts the flagged columns of the row with key <paramref name="key"/> back to their declared <c>DEFAULT</c> (NULL
    /// when none), as an insert that does not name them leaves them: a re-insert from a writer that does not have these
    /// columns replaced a row here, and the old row's values of them belong to the incarnation that was deleted.
    /// </summary>
    public void ResetToDefaults(ReadOnlySpan<object?> key, bool[] columns)
    {
        var sig = "d" + new string(columns.Select((set, i) => set && !Info.PrimaryKey.Contains(i) ? '1' : '0').ToArray());
        if (!sig.Contains('1', StringComparison.Ordinal))
        {
            return;
        }

        if (!_updates.TryGetValue(sig, out var cmd))
        {
            var sets = Enumerable.Range(0, ColumnCount).Where(i => sig[i + 1] == '1')
                .Select(i => $"{Sql.Quote(Info.Columns[i])} = ({SchemaReader.ColumnDefault(_db, Info.Name, Info.Columns[i]) ?? "NULL"})");
            cmd = Sql.Prepare(_db, $"UPDATE {QuotedName} SET {string.Join(", ", sets)} WHERE {_where}",
                [.. Info.PrimaryKey.Select((_, i) => $"$k{i}")]);
            _updates[sig] = cmd;
        }

        for (int i = 0; i < key.Length; i++)
        {
            cmd.Set(i, key[i]);
        }

        cmd.ExecuteNonQuery();
    }

    /// <summary>The newest clock among the values <c>_edgesync_stash</c> keeps for this row (columns this replica lacks), or null.</summary>
    public Clocks.CellClock? StashNewest(object storedKey)
    {
        if (!_updates.TryGetValue(StashRowKey, out var cmd))
        {
            cmd = StashStore.PrepareForRow(_db);
            _updates[StashRowKey] = cmd;
        }

        Clocks.CellClock? newest = null;
        foreach (var entry in StashStore.ForRow(cmd, Info.Id, storedKey))
        {
            if (newest is not { } n || entry.Clock > n)
            {
                newest = entry.Clock;
            }
        }

        return newest;
    }

    /// <summary>
    /// Forgets what <c>_edgesync_stash</c> keeps for this row (values of columns this replica does not have): they were
    /// written to the incarnation that just ended, and must neither travel on with the next one nor be written into it
    /// when the column is added here.
    /// </summary>
    public void ForgetStash(object storedKey)
    {
        if (!_updates.TryGetValue(ForgetStashKey, out var cmd))
        {
            cmd = StashStore.PrepareRemoveRow(_db);
            cmd.Set(0, (long)Info.Id);
            _updates[ForgetStashKey] = cmd;
        }

        cmd.Set(1, storedKey);
        cmd.ExecuteNonQuery();
    }
}
