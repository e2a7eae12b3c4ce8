using EdgeSync.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// After a table was rebuilt (its capture triggers went with the old table), finds the writes made between the rebuild
/// and the capture that noticed it, where they can be told from the table and its sync metadata: a row that sync knows
/// as alive (it has row metadata) but is gone was deleted; a row of a keyed table sync has never seen was inserted. Queues them as pending
/// changes for the seal that follows. An update in that window cannot be told from the rows (docs/schema.md: run
/// migrations with <c>edgesync schema apply</c>, which leaves no window). One pass over the table and its metadata.
/// </summary>
internal static class RebuildScan
{
    /// <summary>Queues the deletes and inserts made while the table had no capture triggers; returns how many.</summary>
    public static int QueueMissedWrites(SyncStore store, TableStore t)
    {
        var info = t.Info;
        var slots = string.Join(", ", info.PrimaryKey.Select((_, i) => $"k{i}"));
        using var queue = Sql.Prepare(store.Db,
            $"INSERT INTO _edgesync_pending(tid, op, mask, {slots}) VALUES ($t, $op, $m, {string.Join(", ", info.PrimaryKey.Select((_, i) => $"$k{i}"))})",
            ["$t", "$op", "$m", .. info.PrimaryKey.Select((_, i) => $"$k{i}")]);
        queue.Set(0, (long)info.Id);
        int found = 0;
        void Queue(int op, object?[] key)
        {
            queue.Set(1, (long)op);
            queue.Set(2, op == 3 ? 0L : -1L);
            for (int i = 0; i < key.Length; i++)
            {
                queue.Set(3 + i, key[i]);
            }

            queue.ExecuteNonQuery();
            found++;
        }

        // Rows with metadata that say "alive" but are gone.
        var known = new List<object>();
        using (var cmd = Sql.Prepare(store.Db, "SELECT pk FROM _edgesync_rows WHERE tid = $t AND cl % 2 = 1", "$t"))
        {
            cmd.Set(0, (long)info.Id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                known.Add(r.GetValue(0));
            }
        }

        foreach (var pk in known)
        {
            var key = KeyCodec.FromStored(pk, info.PrimaryKey.Count);
            if (t.SelectRow(key) is null)
            {
                Queue(3, key);
            }
        }

        // A rowid-keyed table's new rows are found past its watermark as always. A row captured by an insert range
        // (no metadata of its own) that is gone cannot be told from a rowid that never held a row: not queued.
        if (info.Mode == CaptureMode.Trigger)
        {
            // Rows inserted since the rebuild: keys sync has never seen.
            var keys = string.Join(", ", info.PrimaryKey.Select(i => Sql.Quote(info.Columns[i])));
            using var cmd = store.Db.CreateCommand();
            cmd.CommandText = $"SELECT {keys} FROM {t.QuotedName}";
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
                if (key.All(k => k is not null) && t.LoadClocks(key, t.StoredKey(key)) is null)
                {
                    Queue(1, key);
                }
            }
        }

        return found;
    }
}
