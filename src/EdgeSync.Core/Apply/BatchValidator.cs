using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using EdgeSync.Storage;

namespace EdgeSync.Apply;

/// <summary>
/// The checks a batch passes before anything of it is written: every table is synced here with the same columns and
/// key, every row and insert run is well formed, no clock is too far ahead of this replica's clock, and the batch was
/// not extracted before this replica's compaction floor. Pure: it reads only its arguments, so it can be tested
/// without a database. Any failure throws, and the caller has written nothing.
/// </summary>
internal static class BatchValidator
{
    /// <summary>
    /// Validates <paramref name="batch"/>; returns, per table change set in batch order, the synced table here and the
    /// local column index of each of the batch's columns.
    /// </summary>
    /// <param name="batch">The batch as received.</param>
    /// <param name="findTable">The synced table of a name here, or null.</param>
    /// <param name="floors">Per origin site id, the compaction floor (log entries at or below it are gone).</param>
    /// <param name="now">This replica's current time.</param>
    /// <param name="maxClockDrift">How far ahead of <paramref name="now"/> a clock may be.</param>
    public static IReadOnlyList<(TableInfo Table, int[] Map)> Validate(ChangeBatch batch, Func<string, TableInfo?> findTable,
        IEnumerable<KeyValuePair<string, long>> floors, DateTimeOffset now, TimeSpan maxClockDrift)
    {
        var plans = batch.Tables.Select(set => Plan(set, findTable)).ToList();
        CheckClockDrift(batch, now, maxClockDrift);
        foreach (var (name, floor) in floors)
        {
            // A sender that disclaimed events it held (its clock was set right) still reflects them in its row states:
            // it is below the floor only if it is below it counting them (design §6).
            if (batch.Reflects(name) < floor)
            {
                throw new SyncStateException(ErrorCode.StaleBatch,
                    $"batch from '{batch.Sender}' was extracted before changes of '{name}' up to {floor} that this replica has already compacted; request a fresh batch");
            }
        }

        return plans;
    }

    private static void CheckClockDrift(ChangeBatch batch, DateTimeOffset now, TimeSpan maxClockDrift)
    {
        long limit = (now + maxClockDrift).ToUnixTimeMilliseconds();
        foreach (var set in batch.Tables)
        {
            foreach (var row in set.Rows)
            {
                foreach (var c in row.State.Clocks)
                {
                    CheckClock(batch, c.Hlc, c.Site, limit, maxClockDrift);
                }
            }

            foreach (var run in set.Runs)
            {
                CheckClock(batch, run.Hlc, run.Site, limit, maxClockDrift);
            }
        }
    }

    private static void CheckClock(ChangeBatch batch, Hlc hlc, string site, long limit, TimeSpan maxClockDrift)
    {
        if (hlc.Milliseconds > limit)
        {
            throw new InvalidBatchException(
                $"batch from '{batch.Sender}' has a change from '{site}' stamped {hlc}, more than {maxClockDrift.TotalMinutes:0.#} minutes "
                + "ahead of this replica's clock; fix the clock of that site (NTP) — nothing of the batch was applied");
        }
    }

    /// <summary>
    /// Maps the batch's columns by name to this replica's: -1 for a column this table does not have (its values are
    /// kept aside until it is added here) or has with another declared type (kept aside and reported: both sides keep
    /// their data). Columns this table has and the batch lacks are left as they are here.
    /// </summary>
    private static (TableInfo Table, int[] Map) Plan(TableChangeSet set, Func<string, TableInfo?> findTable)
    {
        var t = findTable(set.Table) ?? throw new InvalidBatchException(
            $"batch has changes for table '{set.Table}', which is not synced here; enable sync on it with the same schema on every replica");
        int columnCount = set.Columns.Count;
        var keyNames = t.PrimaryKey.Select(i => t.Columns[i]).ToArray();
        if (set.ColumnTypes is { } types && types.Count != columnCount)
        {
            throw new InvalidBatchException($"table '{t.Name}': the batch gives {types.Count} column types for {columnCount} columns");
        }

        var map = new int[columnCount];
        for (int i = 0; i < map.Length; i++)
        {
            if (set.Columns.Take(i).Contains(set.Columns[i], StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidBatchException($"table '{t.Name}': the batch names column '{set.Columns[i]}' twice");
            }

            int local = -1;
            for (int j = 0; j < t.Columns.Count; j++)
            {
                if (string.Equals(t.Columns[j], set.Columns[i], StringComparison.OrdinalIgnoreCase))
                {
                    local = j;
                }
            }

            bool typeConflict = local >= 0 && set.ColumnTypes is { } declared && local < t.DeclaredTypes.Count
                && !string.Equals(declared[i].Trim(), t.DeclaredTypes[local].Trim(), StringComparison.OrdinalIgnoreCase)
                && !t.PrimaryKey.Contains(local);
            map[i] = typeConflict ? -1 : local;
        }

        if (set.KeyColumns.Count != t.PrimaryKey.Count
            || set.KeyColumns.Where((k, i) => !string.Equals(k, keyNames[i], StringComparison.OrdinalIgnoreCase)).Any()
            || t.PrimaryKey.Any(k => Array.IndexOf(map, k) < 0))
        {
            throw new InvalidBatchException(
                $"table '{t.Name}' has primary key ({string.Join(", ", keyNames)}) here but ({string.Join(", ", set.KeyColumns)}) at the sender");
        }

        foreach (var run in set.Runs)
        {
            CheckRun(t, keyNames, map, run);
        }

        foreach (var row in set.Rows)
        {
            if (row.Key.Length != t.PrimaryKey.Count || row.Key.Any(k => k is null)
                || (!row.State.IsDeleted && (row.State.Values!.Length != columnCount || row.State.Clocks.Length != columnCount)))
            {
                throw new InvalidBatchException($"table '{t.Name}': a row has a malformed key or the wrong number of values");
            }

            if (row.Key.Any(k => k is double.NaN) || row.State.Values?.Any(v => v is double.NaN) == true)
            {
                throw new InvalidBatchException($"table '{t.Name}': a row has a NaN value, which SQLite cannot store");
            }

            // The key must be the row's own key columns: rows are written by their values and their metadata by the key.
            for (int k = 0; k < row.Key.Length && !row.State.IsDeleted; k++)
            {
                int column = Array.IndexOf(map, t.PrimaryKey[k]);
                if (!SqlValue.AreEqual(row.Key[k], row.State.Values![column]))
                {
                    throw new InvalidBatchException(
                        $"table '{t.Name}': row {TableStore.KeyText(row.Key)} carries a different value in key column '{keyNames[k]}'");
                }
            }
        }

        return (t, map);
    }

    /// <summary>The checks every row state gets, for an insert run: shape, storable values, and rowids equal to the key column.</summary>
    private static void CheckRun(TableInfo t, string[] keyNames, int[] map, InsertRun run)
    {
        if (run.Columns.Count != map.Length || t.PrimaryKey.Count != 1)
        {
            throw new InvalidBatchException($"table '{t.Name}': an insert run has {run.Columns.Count} columns for {map.Length} named, or the table's key is not a single rowid");
        }

        int key = Array.IndexOf(map, t.PrimaryKey[0]);
        for (int c = 0; c < run.Columns.Count; c++)
        {
            var column = run.Columns[c];
            for (int i = 0; i < run.Count; i++)
            {
                if (column.TypeAt(i) == ValueTag.Real && double.IsNaN(column.DoubleAt(i)))
                {
                    throw new InvalidBatchException($"table '{t.Name}': a row has a NaN value, which SQLite cannot store");
                }

                if (c == key && (column.TypeAt(i) != ValueTag.Integer || column.Int64At(i) != run.Rowids[i]))
                {
                    throw new InvalidBatchException(
                        $"table '{t.Name}': row ({run.Rowids[i]}) of an insert run carries a different value in key column '{keyNames[0]}'");
                }
            }
        }
    }
}
