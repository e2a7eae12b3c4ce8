using System.Security.Cryptography;
using System.Text;
using EdgeSync.Internal;
using EdgeSync.Schema;
using EdgeSync.Storage;

namespace EdgeSync.Capture;

/// <summary>
/// Installs the capture triggers in the database file itself, so writes from any process or language are captured.
/// Triggers only append to <c>_edgesync_pending</c> (table id, operation, changed-column mask, key); the sealer turns
/// that into clocked changes. Inserts into an <c>append</c> <see cref="CaptureMode.RowidScan"/> table fire no trigger
/// at all, and in-order inserts into an <c>lww</c> one only evaluate a WHEN clause: the sealer finds them by scanning. While EdgeSync applies remote changes it sets a row in <c>_edgesync_ctx</c>, which the triggers
/// check so applied changes are not re-captured as local ones.
/// </summary>
internal static class TriggerInstaller
{
    internal const int OpInsert = CaptureQueue.OpInsert;
    internal const int OpUpdate = CaptureQueue.OpUpdate;
    internal const int OpDelete = CaptureQueue.OpDelete;

    /// <summary>
    /// The application's insert trigger. Named anew (it was <c>ins</c>) when its entries got their own op code
    /// (<see cref="CaptureQueue.OpInsertByApplication"/>): a database whose triggers predate that has no trigger of this
    /// name, so the schema check installs the current ones and looks for writes the old ones missed.
    /// </summary>
    private const string InsertTrigger = "ins2";

    /// <summary>The trigger that queues rows an insert may replace through a secondary unique index; its name ends with a hash of its body.</summary>
    private const string UniqueGuardTrigger = "uq_";
    private const string NotApplying = CaptureQueue.TriggersNotMuted;

    public static void Install(SyncStore store, TableInfo t)
    {
        Drop(store, t);
        var name = Sql.Quote(t.Name);
        var sb = new StringBuilder();
        if (t.Policy == TablePolicy.Append)
        {
            foreach (var op in new[] { "UPDATE", "DELETE" })
            {
                var msg = $"edgesync: table '{t.Name}' is append-only: {op} is not allowed (rows are immutable once written; write a new row instead)";
                sb.Append($"CREATE TRIGGER {TriggerName(t, op)} BEFORE {op} ON {name} WHEN {NotApplying} BEGIN SELECT RAISE(ABORT, {Sql.Literal(msg)}); END;\n");
            }
        }
        else
        {
            var mask = MaskExpression(t);
            sb.Append($"CREATE TRIGGER {TriggerName(t, "upd")} AFTER UPDATE ON {name} WHEN {NotApplying} BEGIN "
                + $"{CaptureQueue.TriggerQueueInsert(t.Id, OpUpdate, mask, KeySlots(t), KeyValues(t, "NEW"))}; END;\n");
            var keyChanged = string.Join(" OR ", t.PrimaryKey.Select(i => $"OLD.{Sql.Quote(t.Columns[i])} IS NOT NEW.{Sql.Quote(t.Columns[i])}"));
            sb.Append($"CREATE TRIGGER {TriggerName(t, "key")} AFTER UPDATE ON {name} WHEN ({keyChanged}) AND {NotApplying} BEGIN "
                + $"{CaptureQueue.TriggerQueueInsert(t.Id, OpDelete, "0", KeySlots(t), KeyValues(t, "OLD"))}; END;\n");
            sb.Append($"CREATE TRIGGER {TriggerName(t, "del")} AFTER DELETE ON {name} WHEN {NotApplying} BEGIN "
                + $"{CaptureQueue.TriggerQueueInsert(t.Id, OpDelete, "0", KeySlots(t), KeyValues(t, "OLD"))}; END;\n");
        }

        // Rowid-scan tables: new rows are found by scanning (see Sealer / AppendScanner). An append table needs no
        // insert trigger at all; an lww table logs only inserts at or below its watermark (a re-insert, or an
        // INSERT OR REPLACE, which SQLite reports to no other trigger).
        string? insertWhen = (t.Mode, t.Policy) switch
        {
            (CaptureMode.Trigger, _) => NotApplying,
            // No "not applying" check here: it costs every in-order insert a second lookup. Inserts the applier
            // makes at or below the watermark are logged, and the applier deletes those entries before it commits.
            (CaptureMode.RowidScan, TablePolicy.Lww) => $"NEW.rowid <= {TableCatalog.WatermarkOf(t.Id)}",
            _ => null,
        };
        if (insertWhen is not null)
        {
            sb.Append($"CREATE TRIGGER {TriggerName(t, InsertTrigger)} AFTER INSERT ON {name} WHEN {insertWhen} BEGIN "
                + $"{CaptureQueue.TriggerQueueInsert(t.Id, CaptureQueue.OpInsertByApplication, "-1", KeySlots(t), KeyValues(t, "NEW"))}; END;\n");
        }

        if (UniqueGuard(store, t) is { } guard)
        {
            sb.Append(guard.Sql);
        }

        store.Execute(sb.ToString());
    }

    public static void Drop(SyncStore store, TableInfo t)
    {
        var sb = new StringBuilder();
        foreach (var suffix in new[] { "UPDATE", "DELETE", "upd", "key", "del", "ins", InsertTrigger })
        {
            sb.Append($"DROP TRIGGER IF EXISTS {TriggerName(t, suffix)};\n");
        }

        foreach (var (trigger, _) in store.Triggers(Prefix(t) + UniqueGuardTrigger))
        {
            sb.Append($"DROP TRIGGER IF EXISTS {Sql.Quote(trigger)};\n");
        }

        store.Execute(sb.ToString());
    }

    private static string TriggerName(TableInfo t, string suffix) => Sql.Quote(Prefix(t) + suffix.ToLowerInvariant());

    /// <summary>What every capture trigger of <paramref name="t"/> is named with.</summary>
    public static string Prefix(TableInfo t) => $"_edgesync_{t.Id}_";

    /// <summary>
    /// True when <paramref name="names"/> (triggers on the table) are all the capture triggers <see cref="Install"/> makes
    /// for the table as it is now (its unique indexes included), and no stale one.
    /// </summary>
    public static bool IsInstalled(SyncStore store, TableInfo t, IEnumerable<string> names)
    {
        var expected = new List<string>();
        if (t.Policy == TablePolicy.Append)
        {
            expected.AddRange(["update", "delete"]);
        }
        else
        {
            expected.AddRange(["upd", "key", "del"]);
        }

        if (t.Mode == CaptureMode.Trigger || t.Policy == TablePolicy.Lww)
        {
            expected.Add(InsertTrigger);
        }

        var guard = UniqueGuard(store, t);
        var have = names.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var guards = have.Where(n => n.StartsWith(Prefix(t) + UniqueGuardTrigger, StringComparison.OrdinalIgnoreCase)).ToList();
        bool guardInPlace = guard is null ? guards.Count == 0 : guards.Count == 1 && string.Equals(guards[0], guard.Value.Name, StringComparison.OrdinalIgnoreCase);
        return guardInPlace && expected.All(e => have.Contains(Prefix(t) + e));
    }

    /// <summary>
    /// True when <paramref name="names"/> hold every capture trigger but under an earlier version's insert trigger name
    /// or without the unique-index guard the table needs now (or with a stale one): the triggers were kept up, only not
    /// up to date — as after an upgrade, or a unique index created or dropped by the application — not lost with a rebuilt table.
    /// </summary>
    public static bool IsOutdated(SyncStore store, TableInfo t, IEnumerable<string> names)
    {
        var have = names.ToHashSet(StringComparer.OrdinalIgnoreCase);
        string[] kept = t.Policy == TablePolicy.Append ? ["update", "delete"] : ["upd", "key", "del"];
        bool insertKept = !(t.Mode == CaptureMode.Trigger || t.Policy == TablePolicy.Lww)
            || have.Contains(Prefix(t) + InsertTrigger) || have.Contains(Prefix(t) + "ins");
        return insertKept && kept.All(e => have.Contains(Prefix(t) + e)) && !IsInstalled(store, t, have);
    }

    /// <summary>
    /// An <c>lww</c> table's guard against <c>INSERT OR REPLACE</c> through a secondary unique index, which deletes the
    /// other row holding the value without firing its delete trigger: before each insert by the application, the rows
    /// (of another key) that hold the new row's values in a unique index are queued as
    /// <see cref="CaptureQueue.OpMaybeReplaced"/>; the seal finds which of them are gone. No unique index: no guard and
    /// no cost. A partial index's condition is not repeated (a row it does not cover is queued and found still there).
    /// </summary>
    private static (string Name, string Sql)? UniqueGuard(SyncStore store, TableInfo t)
    {
        if (t.Policy != TablePolicy.Lww)
        {
            return null;
        }

        var indexes = store.UniqueIndexes(t.Name);
        if (indexes.Count == 0)
        {
            return null;
        }

        var body = new StringBuilder();
        var sameKey = string.Join(" AND ", t.PrimaryKey.Select(i => $"x.{Sql.Quote(t.Columns[i])} IS NEW.{Sql.Quote(t.Columns[i])}"));
        var keyValues = KeyValues(t, "x");
        foreach (var index in indexes)
        {
            // A NULL never conflicts in a unique index, and `=` is never true for one: such rows are not queued.
            var match = string.Join(" AND ", index.Columns.Select(c =>
                $"x.{Sql.Quote(c.Column)} = NEW.{Sql.Quote(c.Column)} COLLATE {Sql.Quote(c.Collation)}"));
            body.Append(CaptureQueue.TriggerQueueSelect(t.Id, CaptureQueue.OpMaybeReplaced, KeySlots(t), keyValues,
                $"FROM {Sql.Quote(t.Name)} AS x WHERE {match} AND NOT ({sameKey})")).Append("; ");
        }

        var text = body.ToString();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 4));
        var name = Prefix(t) + UniqueGuardTrigger + hash;
        return (name, $"CREATE TRIGGER {Sql.Quote(name)} BEFORE INSERT ON {Sql.Quote(t.Name)} WHEN {NotApplying} BEGIN {text}END;\n");
    }

    private static string KeySlots(TableInfo t) => string.Join(", ", t.PrimaryKey.Select((_, i) => $"k{i}"));

    private static string KeyValues(TableInfo t, string row) =>
        string.Join(", ", t.PrimaryKey.Select(i => $"{row}.{Sql.Quote(t.Columns[i])}"));

    /// <summary>Bit i set when column i changed; columns 63 and beyond share bit 63.</summary>
    private static string MaskExpression(TableInfo t)
    {
        var parts = new List<string>();
        var tail = new List<string>();
        for (int i = 0; i < t.Columns.Count; i++)
        {
            var c = Sql.Quote(t.Columns[i]);
            var changed = $"(NEW.{c} IS NOT OLD.{c})";
            if (i < 63)
            {
                parts.Add($"({changed} << {i})");
            }
            else
            {
                tail.Add(changed);
            }
        }

        if (tail.Count > 0)
        {
            parts.Add($"(({string.Join(" OR ", tail)}) << 63)");
        }

        return string.Join(" | ", parts);
    }
}
