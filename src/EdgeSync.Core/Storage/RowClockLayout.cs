using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Schema;

namespace EdgeSync.Storage;

/// <summary>
/// Row clocks in <c>_edgesync_rows</c> are stored by column position. Adding a column keeps every position (the new
/// column reads as <see cref="CellClock.Unwritten"/> in rows written before it), so it costs nothing per row. Dropping
/// or reordering columns moves positions: then every row clock of the table, and the row's value fingerprints
/// (<see cref="RowSums"/>), are rewritten by column name, once.
/// </summary>
internal static class RowClockLayout
{
    /// <summary>Rewrites the row clocks of a table from <paramref name="before"/>'s columns to <paramref name="after"/>'s; returns the rows rewritten.</summary>
    public static int Remap(SyncStore store, TableInfo before, TableInfo after)
    {
        var from = new int[after.Columns.Count];
        for (int i = 0; i < from.Length; i++)
        {
            from[i] = -1;
            for (int j = 0; j < before.Columns.Count; j++)
            {
                if (string.Equals(after.Columns[i], before.Columns[j], StringComparison.OrdinalIgnoreCase))
                {
                    from[i] = j;
                }
            }
        }

        var rows = new List<(object Pk, byte[] Clocks, byte[]? Sums)>();
        using (var cmd = Sql.Prepare(store.Db, "SELECT pk, clocks, sums FROM _edgesync_rows WHERE tid = $t AND cl % 2 = 1", "$t"))
        {
            cmd.Set(0, (long)before.Id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                rows.Add((r.GetValue(0), (byte[])r.GetValue(1), r.IsDBNull(2) ? null : (byte[])r.GetValue(2)));
            }
        }

        var scratch = new ByteWriter();
        using var put = Sql.Prepare(store.Db, "UPDATE _edgesync_rows SET clocks = $c, sums = $s WHERE tid = $t AND pk = $pk", "$c", "$t", "$pk", "$s");
        put.Set(1, (long)before.Id);
        foreach (var (pk, blob, sums) in rows)
        {
            var old = ClockCodec.Decode(blob, before.Columns.Count, store.Sites.NameOf, before.LegacyClockWidth);
            var next = new CellClock[from.Length];
            for (int i = 0; i < next.Length; i++)
            {
                next[i] = from[i] >= 0 ? old[from[i]] : CellClock.Unwritten;
            }

            put.Set(0, ClockCodec.Encode(next, site => store.Sites.GetOrAdd(store.Db, site), scratch));
            put.Set(2, pk);
            put.Set(3, sums is null ? null : RowSums.Remap(sums, from));
            put.ExecuteNonQuery();
        }

        // Pending rows name changed columns by position too: they now mean "any column may have changed".
        Sql.Scalar(store.Db, "UPDATE _edgesync_pending SET mask = -1 WHERE tid = $t AND op <> 3", ("$t", (long)before.Id));
        return rows.Count;
    }
}
