namespace EdgeSync.Schema;

/// <summary>
/// Decides what a schema change of a synced table means for sync, by comparing the table as recorded when it was last
/// checked with the table as it is now. Pure: it reads only its arguments.
/// <list type="bullet">
/// <item>Columns added, dropped, renamed (a drop plus an add) or given another declared type (a rebuild), indexes
/// created or dropped, the table rebuilt (its capture triggers gone): carried. The table keeps its sync identity and
/// history; columns travel by name, so replicas at other versions keep syncing the columns they share.</item>
/// <item>The table dropped or renamed, its primary key or its kind (rowid, WITHOUT ROWID) changed: not carried. Sync of
/// that table stops here (<see cref="SchemaDrift"/>), loudly, until it is resolved; every other table keeps syncing.</item>
/// </list>
/// </summary>
internal static class SchemaDiff
{
    /// <summary>What changed, and the table as it is to be recorded now.</summary>
    /// <param name="Next">The table as it is now (a new schema version), or with <see cref="TableInfo.Drift"/> set.</param>
    /// <param name="Added">Columns added since the last check.</param>
    /// <param name="Dropped">Columns dropped since the last check (a renamed column is dropped under its old name).</param>
    /// <param name="Retyped">Columns whose declared type changed (a rebuild migration).</param>
    internal sealed record Change(TableInfo Next, IReadOnlyList<string> Added, IReadOnlyList<string> Dropped, IReadOnlyList<string> Retyped)
    {
        public bool ColumnsChanged => Added.Count > 0 || Dropped.Count > 0 || Retyped.Count > 0;
    }

    /// <summary>
    /// Compares <paramref name="recorded"/> with <paramref name="live"/> (null when no table of that name exists now;
    /// <paramref name="renamedTo"/> then names the table its capture triggers moved with, if any).
    /// </summary>
    public static Change Compare(TableInfo recorded, SchemaReader.TableShape? live, string? renamedTo)
    {
        if (live is null)
        {
            return Stopped(recorded, renamedTo is null
                ? new SchemaDrift("dropped", $"table '{recorded.Name}' was dropped",
                    $"if the application dropped it for good, disable sync on it (edgesync schema forget {recorded.Name}); "
                    + "otherwise restore it (from a backup or a peer); other replicas keep their rows")
                : new SchemaDrift("renamed", $"table '{recorded.Name}' was renamed to '{renamedTo}'",
                    $"rename it back (ALTER TABLE \"{renamedTo}\" RENAME TO \"{recorded.Name}\"); to rename a synced table use "
                    + "expand-contract: create the new table, enable sync on it, copy, move the application, then drop the old one (docs/schema.md)"));
        }

        var recordedKey = recorded.PrimaryKey.Select(i => recorded.Columns[i]).ToArray();
        var liveKey = live.PrimaryKey.Select(i => live.Columns[i]).ToArray();
        if (!recordedKey.SequenceEqual(liveKey, StringComparer.OrdinalIgnoreCase) || live.Mode != recorded.Mode)
        {
            return Stopped(recorded, new SchemaDrift("key-changed",
                $"table '{recorded.Name}' now has primary key ({string.Join(", ", liveKey)}) as a {ModeText(live.Mode)} table; "
                + $"sync identifies its rows by ({string.Join(", ", recordedKey)}) as a {ModeText(recorded.Mode)} table",
                "a row's identity cannot change under sync: restore the previous key, or move the data to a new table "
                + "with expand-contract (docs/schema.md)"));
        }

        var added = live.Columns.Where(c => !Contains(recorded.Columns, c)).ToList();
        var dropped = recorded.Columns.Where(c => !Contains(live.Columns, c)).ToList();
        var retyped = new List<string>();
        for (int i = 0; i < live.Columns.Count; i++)
        {
            var before = recorded.DeclaredTypeOf(live.Columns[i]);
            if (before is not null && !string.Equals(before, live.Types[i], StringComparison.OrdinalIgnoreCase))
            {
                retyped.Add(live.Columns[i]);
            }
        }

        bool reordered = added.Count == 0 && dropped.Count == 0
            && !recorded.Columns.SequenceEqual(live.Columns, StringComparer.OrdinalIgnoreCase);
        bool changed = added.Count > 0 || dropped.Count > 0 || retyped.Count > 0 || reordered || recorded.Drift is not null;
        var next = recorded with
        {
            Columns = live.Columns,
            PrimaryKey = live.PrimaryKey,
            DeclaredTypes = live.Types,
            SchemaVersion = changed ? recorded.SchemaVersion + 1 : recorded.SchemaVersion,
            DroppedColumns = recorded.DroppedColumns.Where(c => !Contains(added, c)).Concat(dropped)
                .Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            LegacyClockWidth = recorded.LegacyClockWidth >= 0 || !changed ? recorded.LegacyClockWidth : recorded.Columns.Count,
            Drift = null,
        };
        return new Change(next, added, dropped, retyped);
    }

    /// <summary>True when <paramref name="next"/> keeps every recorded column at its position (nothing dropped or moved).</summary>
    public static bool KeepsPositions(TableInfo recorded, TableInfo next)
    {
        if (next.Columns.Count < recorded.Columns.Count)
        {
            return false;
        }

        for (int i = 0; i < recorded.Columns.Count; i++)
        {
            if (!string.Equals(recorded.Columns[i], next.Columns[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static Change Stopped(TableInfo recorded, SchemaDrift drift) =>
        new(recorded with { Drift = drift }, [], [], []);

    private static bool Contains(IEnumerable<string> columns, string name) =>
        columns.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static string ModeText(CaptureMode mode) => mode == CaptureMode.RowidScan ? "rowid-keyed" : "keyed (or WITHOUT ROWID)";
}
