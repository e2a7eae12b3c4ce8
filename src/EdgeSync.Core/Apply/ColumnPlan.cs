using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Apply;

/// <summary>
/// How one table's columns in a batch meet this replica's (columns travel by name): row states are re-laid out in the
/// local column order; a column the sender lacks is <see cref="CellClock.Unwritten"/> (the row keeps its value here, a
/// new row takes the declared default); a column this replica lacks, or has with another declared type, is kept aside
/// in <c>_edgesync_stash</c> with its clock and logged under its origin, so it is written when the column is added here
/// and relayed to peers meanwhile. Values of columns dropped here are ignored.
/// </summary>
internal sealed class ColumnPlan
{
    private readonly TableStore _table;
    private readonly TableChangeSet _set;
    private readonly SqliteCommand _stash;
    private readonly ChangeLog.RowEvents _log;
    private readonly bool _identity;

    public ColumnPlan(TableStore table, TableChangeSet set, int[] map, SqliteCommand stash, ChangeLog.RowEvents log)
    {
        _table = table;
        _set = set;
        _stash = stash;
        _log = log;
        Map = map;
        HasUnknown = map.Contains(-1);
        _identity = map.Length == table.ColumnCount && map.Select((m, i) => m == i).All(x => x);
    }

    /// <summary>Local column index of each of the batch's columns, or -1.</summary>
    public int[] Map { get; }

    /// <summary>True when the batch has columns this replica does not take as they are.</summary>
    public bool HasUnknown { get; }

    /// <summary>The incoming state in this replica's column order.</summary>
    public RowState Remap(RowState s)
    {
        if (s.IsDeleted || _identity)
        {
            return s;
        }

        int n = _table.ColumnCount;
        var values = new object?[n];
        var clocks = new CellClock[n];
        Array.Fill(clocks, CellClock.Unwritten);
        for (int i = 0; i < Map.Length; i++)
        {
            if (Map[i] >= 0)
            {
                values[Map[i]] = s.Values![i];
                clocks[Map[i]] = s.Clocks[i];
            }
        }

        return RowState.Alive(s.CausalLength, values, clocks);
    }

    /// <summary>Keeps the values of columns this replica does not take (newest clock per row and column).</summary>
    public void KeepUnknown(RowChange row, object storedKey, BatchApplier applier)
    {
        for (int i = 0; i < Map.Length; i++)
        {
            if (Map[i] >= 0 || row.State.Clocks[i].IsUnwritten)
            {
                continue;
            }

            var name = _set.Columns[i];
            if (_table.Info.DroppedColumns.Contains(name, StringComparer.OrdinalIgnoreCase) && _table.Info.DeclaredTypeOf(name) is null)
            {
                continue; // dropped here: peers still at an older version keep sending it
            }

            var type = _set.ColumnTypes?[i] ?? "";
            if (StashStore.Put(_stash, _table.Info.Id, storedKey, name, type, row.State.Values![i], row.State.Clocks[i]))
            {
                applier.LogEvent(_log, _table, storedKey, row.State.Clocks[i]);
            }
        }
    }
}
