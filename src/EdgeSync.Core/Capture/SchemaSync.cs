using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Merge;
using EdgeSync.Schema;
using EdgeSync.Storage;

namespace EdgeSync.Capture;

/// <summary>
/// Finds schema changes of synced tables, whatever process made them, at the start of every seal: one
/// <c>PRAGMA schema_version</c> read when nothing changed. When the schema moved, each synced table's definition is
/// compared with the one recorded; what <see cref="SchemaDiff"/> says can be carried is taken at once (columns recorded,
/// row clocks re-laid out if positions moved, capture triggers installed again, values received earlier for added
/// columns written), and what cannot stops sync of that table (<see cref="SchemaDrift"/>). Runs inside the caller's
/// write transaction; the changes found are left in <see cref="SyncStore.SchemaEvents"/> for the caller to report.
/// </summary>
internal static class SchemaSync
{
    public static void Check(SyncStore store)
    {
        long cookie = store.SchemaCookie();
        if (cookie == store.CheckedSchemaCookie)
        {
            return;
        }

        foreach (var t in store.Tables.ToList())
        {
            CheckTable(store, t.Info);
        }

        store.CheckedSchemaCookie = store.SchemaCookie();
    }

    private static void CheckTable(SyncStore store, TableInfo recorded)
    {
        var signature = store.SchemaSignature(recorded.Name);
        var triggers = store.Triggers(TriggerInstaller.Prefix(recorded));
        var onTable = triggers.Where(tr => string.Equals(tr.Table, recorded.Name, StringComparison.OrdinalIgnoreCase)).Select(tr => tr.Name).ToList();
        bool triggersInPlace = TriggerInstaller.IsInstalled(store, recorded, onTable);
        var recordedSignature = TableCatalog.RecordedSignature(store, recorded.Id);
        if (triggersInPlace && recorded.Drift is null && signature is not null && signature == recordedSignature)
        {
            return;
        }

        SchemaReader.TableShape? live = null;
        SchemaDiff.Change change;
        if (signature is not null)
        {
            try
            {
                live = store.ReadShape(recorded.Name);
            }
            catch (SchemaException e)
            {
                change = new SchemaDiff.Change(recorded with
                {
                    Drift = new SchemaDrift("key-changed", e.Message, "restore the table's primary key; a row's identity cannot change under sync"),
                }, [], [], []);
                Record(store, recorded, change, signature, reinstalled: false, stashApplied: 0);
                return;
            }
        }

        string? renamedTo = live is null ? triggers.Select(tr => tr.Table).FirstOrDefault() : null;
        change = SchemaDiff.Compare(recorded, live, renamedTo);
        if (change.Next.Drift is not null)
        {
            if (recorded.Drift != change.Next.Drift)
            {
                Record(store, recorded, change, signature, reinstalled: false, stashApplied: 0);
            }

            return;
        }

        var next = change.Next;
        if (!SchemaDiff.KeepsPositions(recorded, next))
        {
            RowClockLayout.Remap(store, recorded, next);
        }

        if (change.Added.Count > 0 && SchemaDiff.KeepsPositions(recorded, next))
        {
            MarkAddedColumnsWritten(store, next, change.Added);
        }

        bool outdated = !triggersInPlace && TriggerInstaller.IsOutdated(store, recorded, onTable);
        TriggerInstaller.Install(store, next);
        store.ReplaceTable(next);
        int missed = !triggersInPlace && recorded.Drift is null && recordedSignature is not null
            ? RebuildScan.QueueMissedWrites(store, store.Table(next.Id))
            : 0;

        bool meaningful = change.ColumnsChanged || !triggersInPlace || recorded.Drift is not null
            || !recorded.Columns.SequenceEqual(next.Columns, StringComparer.Ordinal);
        TableCatalog.Update(store, next, store.SchemaSignature(next.Name));
        if (meaningful)
        {
            store.SchemaEvents.Add(new SchemaEvent(next, change.Added, change.Dropped, change.Retyped, !triggersInPlace && !outdated, 0, missed, outdated));
        }
    }

    /// <summary>
    /// Writes values peers sent for columns just added (see <see cref="WriteStashed"/>). Runs after the seal that
    /// followed <see cref="Check"/>, so local writes made before the capture have their clocks and are merged with,
    /// not overwritten.
    /// </summary>
    public static void WriteStashedValues(SyncStore store)
    {
        for (int i = 0; i < store.SchemaEvents.Count; i++)
        {
            var e = store.SchemaEvents[i];
            if (e.Drift is null && e.Added.Count > 0 && e.StashApplied == 0)
            {
                int written = e.Added.Sum(column => WriteStashed(store, store.Table(e.Table.Id), column));
                store.SchemaEvents[i] = e with { StashApplied = written };
            }
        }
    }

    private static void Record(SyncStore store, TableInfo recorded, SchemaDiff.Change change, string? signature, bool reinstalled, int stashApplied)
    {
        TableCatalog.Update(store, change.Next, signature ?? TableCatalog.RecordedSignature(store, recorded.Id));
        store.ReplaceTable(change.Next);
        store.SchemaEvents.Add(new SchemaEvent(change.Next, [], [], [], reinstalled, stashApplied));
    }

    /// <summary>
    /// Writes the values peers sent for <paramref name="column"/> before this replica had it, where they are newer than
    /// what the row holds (a column just added holds its default, <see cref="CellClock.Unwritten"/>). A value whose
    /// sender declared another type stays stashed and is reported (both sides keep their data).
    /// </summary>
    private static int WriteStashed(SyncStore store, TableStore t, string column)
    {
        int c = IndexOf(t.Info, column);
        var entries = StashStore.ForColumn(store, t.Info.Id, column);
        if (entries.Count == 0 || entries.Any(e => !SameType(e.Type, t.Info.DeclaredTypes[c])))
        {
            return 0;
        }

        CaptureQueue.MuteTriggers(store);
        int written = 0;
        foreach (var e in entries)
        {
            var key = KeyCodec.FromStored(e.StoredKey, t.Info.PrimaryKey.Count);
            var state = t.LoadClocks(key, e.StoredKey);
            var current = state is null || state.IsDeleted ? null : t.SelectRow(key);
            // The same clock is the same write: a row captured here by an insert range reads the range's clock for every
            // column, also for one added since, but the value that write gave the column is the one kept aside.
            if (current is null || e.Clock < state!.Clocks[c])
            {
                continue; // the row is gone here, or holds a newer value of the column
            }

            var values = current;
            var clocks = (CellClock[])state.Clocks.Clone();
            values[c] = e.Value;
            clocks[c] = e.Clock;
            var changed = new bool[values.Length];
            changed[c] = true;
            t.UpdateRow(values, changed);
            t.PutMeta(e.StoredKey, RowState.Alive(state.CausalLength, values, clocks));
            written++;
        }

        CaptureQueue.UnmuteTriggers(store);
        StashStore.Remove(store, t.Info.Id, column);
        return written;
    }

    /// <summary>
    /// Updates recorded before the capture triggers knew the added columns (the application wrote them between its ALTER
    /// and this capture) name only the old columns as changed: an added column whose value is no longer its declared
    /// default is marked changed too, so the write is captured.
    /// </summary>
    private static void MarkAddedColumnsWritten(SyncStore store, TableInfo t, IReadOnlyList<string> added)
    {
        foreach (var column in added)
        {
            int c = IndexOf(t, column);
            var dflt = store.ColumnDefault(t.Name, column);
            CaptureQueue.MarkColumnWritten(store, t, column, 1L << Math.Min(c, 63), dflt ?? "NULL");
        }
    }

    internal static bool SameType(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);

    private static int IndexOf(TableInfo t, string column)
    {
        for (int i = 0; i < t.Columns.Count; i++)
        {
            if (string.Equals(t.Columns[i], column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
