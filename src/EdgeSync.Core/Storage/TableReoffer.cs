using Microsoft.Data.Sqlite;
using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// Issues a table's whole current state again as new changes of this site, so every peer receives it through ordinary
/// sync: each row (live or tombstone) gets one new sequence number, and each written cell a clock of this site one
/// logical tick past the value's own (<c>prev</c> names the clock it replaces), so it replaces that clock everywhere
/// whatever the site ids, while a write made later anywhere still beats it. A peer holding the same value sees no
/// value change, and nothing enters the conflict audit (the values are equal). Used when history was withheld from peers that must now have it
/// (a table's direction opened); runs in the caller's write transaction, after the caller sealed what was pending.
/// </summary>
internal static class TableReoffer
{
    public static int Run(SyncStore store, TableStore t) => Issue(store, t, AllKeys(store, t), captureUnknown: false);

    /// <summary>
    /// Issues the rows of <paramref name="keys"/> again (see the class). Where a row's presence disagrees with its clocks
    /// (inserted or deleted while capture was bypassed) that write is captured now instead: a row no clock speaks of
    /// becomes a new row above the table's causal-length floor, a live state whose row is gone a tombstone, a
    /// tombstone whose row is back a re-insert.
    /// </summary>
    public static int Run(SyncStore store, TableStore t, IEnumerable<object?[]> keys) =>
        Issue(store, t, keys.Select(k => (k, t.StoredKey(k))).ToList(), captureUnknown: true);

    /// <summary>
    /// Issues again the rows whose clocks name a change in <paramref name="window"/> (per origin, the sequences after
    /// <c>After</c> up to <c>UpTo</c>; see <see cref="ReofferWatch"/>). Reads the table's row metadata once, and for an
    /// append table the insert ranges it received (rows applied from a peer are kept as one range when they can be).
    /// </summary>
    public static int Run(SyncStore store, TableStore t, IReadOnlyDictionary<string, (long After, long UpTo)> window)
    {
        var keys = new List<(object?[] Key, object Stored)>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT pk FROM _edgesync_rows WHERE tid = $t";
            cmd.Parameters.AddWithValue("$t", t.Info.Id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var stored = r.GetValue(0);
                var key = KeyCodec.FromStored(stored, t.KeyNames.Count);
                if (t.LoadClocks(key, stored) is { } state && state.Clocks.Any(c => !c.IsUnwritten
                    && window.TryGetValue(c.Site, out var w) && c.Seq > w.After && c.Seq <= w.UpTo))
                {
                    keys.Add((key, stored));
                }
            }
        }

        if (t.Info.Mode == CaptureMode.RowidScan)
        {
            // Rows known only from an insert range (appended, never changed since): the range's clock is the row's.
            using var cmd = store.Db.CreateCommand();
            cmd.CommandText = "SELECT site, seq, pk, span FROM _edgesync_log WHERE tid = $t AND span > 0";
            cmd.Parameters.AddWithValue("$t", t.Info.Id);
            var ranges = new List<(long Rowid, long Count)>();
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    if (window.TryGetValue(store.Sites.NameOf((int)r.GetInt64(0)), out var w))
                    {
                        long seq = r.GetInt64(1), rowid = r.GetInt64(2), span = r.GetInt64(3);
                        long first = Math.Max(seq, w.After + 1), last = Math.Min(seq + span - 1, w.UpTo);
                        if (first <= last)
                        {
                            ranges.Add((rowid + (first - seq), last - first + 1));
                        }
                    }
                }
            }

            foreach (var (start, count) in ranges)
            {
                for (long rowid = start; rowid < start + count; rowid++)
                {
                    object?[] key = [rowid];
                    var stored = t.StoredKey(key);
                    if (!t.HasMeta(stored) && t.SelectRow(key) is not null)
                    {
                        keys.Add((key, stored)); // a row with metadata of its own was judged above; a range may cover rowids never used
                    }
                }
            }
        }

        return keys.Count == 0 ? 0 : Issue(store, t, keys, captureUnknown: false);
    }

    private static List<(object?[] Key, object Stored)> AllKeys(SyncStore store, TableStore t)
    {
        var keys = new List<(object?[] Key, object Stored)>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = $"SELECT {string.Join(", ", t.KeyNames.Select(Sql.Quote))} FROM {t.QuotedName}";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var key = new object?[t.KeyNames.Count];
                for (int i = 0; i < key.Length; i++)
                {
                    key[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                }

                if (key.All(k => k is not null))
                {
                    keys.Add((key, t.StoredKey(key)));
                }
            }
        }

        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT pk FROM _edgesync_rows WHERE tid = $t AND cl % 2 = 0";
            cmd.Parameters.AddWithValue("$t", t.Info.Id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var stored = r.GetValue(0);
                keys.Add((KeyCodec.FromStored(stored, t.KeyNames.Count), stored));
            }
        }

        return keys;
    }

    private static int Issue(SyncStore store, TableStore t, List<(object?[] Key, object Stored)> keys, bool captureUnknown)
    {
        var hlc = store.Clock.Next();
        using var log = Sql.Prepare(store.Db,
            "INSERT OR REPLACE INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, 0, $h)", "$s", "$q", "$t", "$pk", "$h");
        int rows = 0;
        foreach (var (key, stored) in keys)
        {
            var state = t.LoadClocks(key, stored);
            var current = captureUnknown ? t.SelectRow(key) : null;
            bool present = current is not null;
            if (state is null && !present)
            {
                continue;
            }

            long seq = store.AllocateSeq(1);
            if (captureUnknown && (state is null || state.IsDeleted == present))
            {
                // The row's presence disagrees with its clocks (written while capture was bypassed): capture it now.
                var seen = state?.Newest ?? default;
                var clock = new CellClock(hlc, store.SiteId, seq, seen.Hlc, seen.Site ?? "");
                long cl = state?.CausalLength ?? t.CausalFloor;
                t.PutMeta(stored, present
                    ? RowState.Alive(cl + 1, current!, Enumerable.Repeat(clock, t.ColumnCount).ToArray())
                    : RowState.Deleted(cl + 1, clock));
            }
            else if (state is not null)
            {
                var clocks = state.Clocks.Select(c => c.IsUnwritten ? c : new CellClock(new Hlc(c.Hlc.Value + 1), store.SiteId, seq, c.Hlc, c.Site)).ToArray();
                t.PutClocks(stored, state.IsDeleted
                    ? RowState.Deleted(state.CausalLength, clocks[0])
                    : RowState.Alive(state.CausalLength, new object?[clocks.Length], clocks));
            }

            log.Set(0, (long)store.SiteIndex);
            log.Set(1, seq);
            log.Set(2, (long)t.Info.Id);
            log.Set(3, stored);
            log.Set(4, hlc.Value);
            log.ExecuteNonQuery();
            rows++;
        }

        return rows;
    }

    /// <summary>The direction last recorded for <paramref name="table"/> (<see cref="SwapDirection"/>), or null.</summary>
    public static string? RecordedDirection(SqliteConnection db, string table) =>
        Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = $k", ("$k", DirectionKey(table))) as string;

    /// <summary>Records <paramref name="direction"/> as the table's direction; returns the one recorded before, if any.</summary>
    public static string? SwapDirection(SyncStore store, string table, string direction)
    {
        var key = DirectionKey(table);
        var previous = RecordedDirection(store.Db, table);
        if (previous != direction)
        {
            Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ($k, $v)", ("$k", key), ("$v", direction));
        }

        return previous;
    }

    private static string DirectionKey(string table) => "direction:" + table.ToLowerInvariant();
}
