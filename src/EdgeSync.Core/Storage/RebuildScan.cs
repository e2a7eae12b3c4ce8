using EdgeSync.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// After a table was rebuilt (its capture triggers went with the old table), finds the writes made between the rebuild
/// and the capture that noticed it, from the table and its sync metadata: a row that sync knows as alive (it has row
/// metadata) but is gone was deleted; a value of such a row that differs from the one recorded when the row was last
/// written here (<see cref="RowSums"/>) was updated (lww tables); a row of a keyed table sync has never seen was
/// inserted. Queues them as pending changes for the seal that follows. Rows that have no metadata of their own (captured
/// in an insert range and never updated since) have no recorded values, so an update of one in that window is not seen
/// (docs/schema.md: <c>edgesync schema apply</c> leaves no window). One pass over the table and its metadata.
/// </summary>
internal static class RebuildScan
{
    /// <summary>Queues the deletes, updates and inserts made while the table had no capture triggers; returns how many.</summary>
    public static int QueueMissedWrites(SyncStore store, TableStore t)
    {
        var info = t.Info;
        var slots = string.Join(", ", info.PrimaryKey.Select((_, i) => $"k{i}"));
        using var queue = Sql.Prepare(store.Db,
            $"INSERT INTO _edgesync_pending(tid, op, mask, {slots}) VALUES ($t, $op, $m, {string.Join(", ", info.PrimaryKey.Select((_, i) => $"$k{i}"))})",
            ["$t", "$op", "$m", .. info.PrimaryKey.Select((_, i) => $"$k{i}")]);
        queue.Set(0, (long)info.Id);
        int found = 0;
        void Queue(int op, object?[] key, long mask)
        {
            queue.Set(1, (long)op);
            queue.Set(2, mask);
            for (int i = 0; i < key.Length; i++)
            {
                queue.Set(3 + i, key[i]);
            }

            queue.ExecuteNonQuery();
            found++;
        }

        // Rows with metadata that say "alive": gone means deleted; in an lww table, a value that is not the one last
        // recorded (its fingerprint, RowSums) means updated. Found first, queued after the read.
        var keyColumns = new HashSet<int>(info.PrimaryKey);
        var defaults = new Dictionary<int, (bool, object?)>();
        (bool, object?) DefaultOf(int c)
        {
            if (!defaults.TryGetValue(c, out var d))
            {
                defaults[c] = d = EvaluateDefault(store, store.ColumnDefault(info.Name, info.Columns[c]));
            }

            return d;
        }

        var missed = new List<(int Op, object?[] Key, long Mask)>();
        bool lww = info.Policy == TablePolicy.Lww;
        foreach (var row in KnownRows(store, t))
        {
            if (row.Gone)
            {
                missed.Add((CaptureQueue.OpDelete, KeyCodec.FromStored(row.Pk(), info.PrimaryKey.Count), 0));
            }
            else if (lww && row.Sums is { } sums)
            {
                long changed = RowSums.Changed(sums.Span, row.Now,
                    () => ClockCodec.Decode(row.Clocks(), info.Columns.Count, store.Sites.NameOf, info.LegacyClockWidth), keyColumns, DefaultOf);
                if (changed != 0)
                {
                    missed.Add((CaptureQueue.OpUpdate, KeyCodec.FromStored(row.Pk(), info.PrimaryKey.Count), changed));
                }
            }
        }

        foreach (var (op, key, mask) in missed)
        {
            Queue(op, key, mask);
        }

        // A rowid-keyed table's new rows are found past its watermark as always. A row captured by an insert range
        // (no metadata of its own) that is gone cannot be told from a rowid that never held a row: not queued.
        // Inserted since the rebuild: keys sync has never seen (keyed tables), and keys whose metadata says deleted
        // (any table: a key inserted again).
        if (info.Mode == CaptureMode.Trigger || info.PrimaryKey.Count == 1)
        {
            var keys = string.Join(", ", info.PrimaryKey.Select(i => "u." + Sql.Quote(info.Columns[i])));
            using var cmd = store.Db.CreateCommand();
            // A one-column key is stored as itself: only keys without live metadata are read (a composite key: every key).
            cmd.CommandText = info.PrimaryKey.Count == 1
                ? $"SELECT {keys} FROM {t.QuotedName} AS u WHERE " + (info.Mode == CaptureMode.Trigger
                    ? $"NOT EXISTS (SELECT 1 FROM _edgesync_rows AS m WHERE m.tid = $t AND m.pk = {keys} AND m.cl % 2 = 1)"
                    : $"EXISTS (SELECT 1 FROM _edgesync_rows AS m WHERE m.tid = $t AND m.pk = {keys} AND m.cl % 2 = 0)")
                : $"SELECT {keys} FROM {t.QuotedName} AS u";
            cmd.Parameters.AddWithValue("$t", (long)info.Id);
            var fresh = new List<object?[]>();
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    var key = new object?[info.PrimaryKey.Count];
                    for (int i = 0; i < key.Length; i++)
                    {
                        key[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                    }

                    fresh.Add(key);
                }
            }

            foreach (var key in fresh)
            {
                if (key.All(k => k is not null) && t.LoadClocks(key, t.StoredKey(key)) is null or { IsDeleted: true })
                {
                    Queue(CaptureQueue.OpInsert, key, -1);
                }
            }
        }

        return found;
    }

    /// <summary>One row the metadata says is alive, as <see cref="KnownRows"/> reads it; valid until the next row.</summary>
    private sealed class KnownRow
    {
        public bool Gone { get; set; }

        /// <summary>The value fingerprints recorded with the row, or null when none were (metadata older than them).</summary>
        public ReadOnlyMemory<byte>? Sums { get; set; }

        /// <summary>Each column's fingerprint of what the table holds now.</summary>
        public uint[] Now { get; init; } = [];

        public Func<object> Pk { get; set; } = () => throw new InvalidOperationException("no row");

        public Func<byte[]> Clocks { get; set; } = () => throw new InvalidOperationException("no row");
    }

    /// <summary>
    /// Every row the metadata says is alive, with what the table holds for it now (gone, or each column's fingerprint).
    /// A one-column key is read in one join without a value boxed (the key is stored as itself); a composite key row by row.
    /// </summary>
    private static IEnumerable<KnownRow> KnownRows(SyncStore store, TableStore t)
    {
        var info = t.Info;
        int n = info.Columns.Count;
        var row = new KnownRow { Now = new uint[n] };
        if (info.PrimaryKey.Count == 1)
        {
            var keyColumn = Sql.Quote(info.Columns[info.PrimaryKey[0]]);
            using var statement = new RawStatement(store.Db,
                $"SELECT m.pk, m.clocks, m.sums, u.{keyColumn} IS NULL, {string.Join(", ", info.Columns.Select(c => "u." + Sql.Quote(c)))} "
                + $"FROM _edgesync_rows AS m LEFT JOIN {t.QuotedName} AS u ON u.{keyColumn} = m.pk WHERE m.tid = $t AND m.cl % 2 = 1");
            statement.BindInt64(0, info.Id);
            row.Pk = () => statement.ColumnValue(0)!;
            row.Clocks = () => statement.ColumnBytes(1).ToArray();
            var sums = new byte[n * 4];
            while (statement.Step())
            {
                row.Gone = statement.ColumnInt64(3) != 0;
                row.Sums = null;
                if (!row.Gone && statement.ColumnTag(2) == ValueTag.Blob)
                {
                    var stored = statement.ColumnBytes(2);
                    if (stored.Length > sums.Length)
                    {
                        sums = new byte[stored.Length];
                    }

                    stored.CopyTo(sums);
                    row.Sums = sums.AsMemory(0, stored.Length);
                    for (int i = 0; i < n; i++)
                    {
                        row.Now[i] = RowSums.Of(statement, 4 + i);
                    }
                }

                yield return row;
            }

            yield break;
        }

        var known = new List<(object Pk, byte[] Clocks, byte[]? Sums)>();
        using (var cmd = Sql.Prepare(store.Db, "SELECT pk, clocks, sums FROM _edgesync_rows WHERE tid = $t AND cl % 2 = 1", "$t"))
        {
            cmd.Set(0, (long)info.Id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                known.Add((r.GetValue(0), (byte[])r.GetValue(1), r.IsDBNull(2) ? null : (byte[])r.GetValue(2)));
            }
        }

        foreach (var (pk, clocks, sums) in known)
        {
            var current = t.SelectRow(KeyCodec.FromStored(pk, info.PrimaryKey.Count));
            row.Gone = current is null;
            row.Sums = sums;
            row.Pk = () => pk;
            row.Clocks = () => clocks;
            for (int i = 0; current is not null && i < n; i++)
            {
                row.Now[i] = RowSums.Of(current[i]);
            }

            yield return row;
        }
    }

    /// <summary>
    /// A column's declared default as a value (SQL text from <c>pragma_table_xinfo</c>), or unknown when it is not a
    /// constant (<c>CURRENT_TIMESTAMP</c>, a function call): such a column's unwritten rows cannot be told from updated ones.
    /// </summary>
    private static (bool Known, object? Value) EvaluateDefault(SyncStore store, string? expression)
    {
        if (expression is null)
        {
            return (true, null);
        }

        if (expression.Contains("CURRENT_", StringComparison.OrdinalIgnoreCase) || CallsAFunction(expression))
        {
            return (false, null);
        }

        var value = Sql.Scalar(store.Db, $"SELECT {expression}");
        return (true, value is DBNull ? null : value);
    }

    /// <summary>True when a name is followed by an opening parenthesis (<c>datetime('now')</c>, <c>random()</c>).</summary>
    private static bool CallsAFunction(string expression)
    {
        for (int i = expression.IndexOf('(', StringComparison.Ordinal); i > 0; i = expression.IndexOf('(', i + 1))
        {
            int j = i - 1;
            while (j >= 0 && char.IsWhiteSpace(expression[j]))
            {
                j--;
            }

            if (j >= 0 && (char.IsLetterOrDigit(expression[j]) || expression[j] == '_'))
            {
                return true;
            }
        }

        return false;
    }
}
