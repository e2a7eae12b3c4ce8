using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>
/// SQL of retention on <c>append</c> tables: the insert ranges and per-row metadata that say which origin and sequence
/// each row has, deleting pruned rows with their clocks, and the pruned-through watermark
/// (<c>_edgesync_pruned</c>: per table and origin site id, the highest sequence pruned here). Every sequence at or
/// below a watermark was held by this replica when it was pruned, so a row of that table carrying only such clocks is
/// one this replica already had: apply skips it instead of inserting it again.
/// </summary>
internal static class RetentionRecords
{
    /// <summary>An insert range of the table: rows <c>lo … lo + span − 1</c> with sequences from <c>seq</c>.</summary>
    public readonly record struct Range(int Site, long Seq, long Lo, long Span, long Hlc, long Count);

    /// <summary>The table's insert ranges, oldest clock first.</summary>
    public static List<Range> OldestRanges(SyncStore store, int tid, int limit)
    {
        var ranges = new List<Range>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT site, seq, pk, span, hlc, cnt FROM _edgesync_log WHERE tid = $t AND span > 0 ORDER BY hlc, site, seq LIMIT $n";
        cmd.Parameters.AddWithValue("$t", tid);
        cmd.Parameters.AddWithValue("$n", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            ranges.Add(new((int)r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        }

        return ranges;
    }

    /// <summary>Deletes the rows with rowids in <c>[lo, hi]</c> that have no per-row metadata (those belong to their own clocks).</summary>
    public static int DeleteRangeRows(SyncStore store, string quotedTable, int tid, long lo, long hi)
    {
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = $"DELETE FROM {quotedTable} WHERE rowid BETWEEN $lo AND $hi "
            + "AND rowid NOT IN (SELECT pk FROM _edgesync_rows WHERE tid = $t AND pk BETWEEN $lo AND $hi)";
        cmd.Parameters.AddWithValue("$lo", lo);
        cmd.Parameters.AddWithValue("$hi", hi);
        cmd.Parameters.AddWithValue("$t", tid);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Drops the first <paramref name="slots"/> rowids of a range (all of it when that is its span).</summary>
    public static void TrimRange(SyncStore store, Range range, long slots, int deleted)
    {
        if (slots >= range.Span)
        {
            Sql.Scalar(store.Db, "DELETE FROM _edgesync_log WHERE site = $s AND seq = $q", ("$s", (long)range.Site), ("$q", range.Seq));
            return;
        }

        Sql.Scalar(store.Db, "UPDATE _edgesync_log SET seq = seq + $k, pk = pk + $k, span = span - $k, cnt = max(0, cnt - $d) WHERE site = $s AND seq = $q",
            ("$k", slots), ("$d", (long)deleted), ("$s", (long)range.Site), ("$q", range.Seq));
    }

    /// <summary>Live rows of the table that have per-row metadata, by rowid: (rowid, encoded clocks).</summary>
    public static List<(long Rowid, byte[] Clocks)> MetadataRows(SyncStore store, int tid, int limit)
    {
        var rows = new List<(long, byte[])>();
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT pk, clocks FROM _edgesync_rows WHERE tid = $t AND cl % 2 = 1 ORDER BY pk LIMIT $n";
        cmd.Parameters.AddWithValue("$t", tid);
        cmd.Parameters.AddWithValue("$n", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            rows.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
        }

        return rows;
    }

    /// <summary>Deletes one row with per-row metadata, its metadata and its single-row log entries.</summary>
    public static void DeleteRow(SyncStore store, string quotedTable, int tid, long rowid, IEnumerable<(int Site, long Seq)> events)
    {
        Sql.Scalar(store.Db, $"DELETE FROM {quotedTable} WHERE rowid = $r", ("$r", rowid));
        Sql.Scalar(store.Db, "DELETE FROM _edgesync_rows WHERE tid = $t AND pk = $r", ("$t", (long)tid), ("$r", rowid));
        foreach (var (site, seq) in events.Distinct())
        {
            Sql.Scalar(store.Db, "DELETE FROM _edgesync_log WHERE site = $s AND seq = $q AND tid = $t AND pk = $r AND span = 0",
                ("$s", (long)site), ("$q", seq), ("$t", (long)tid), ("$r", rowid));
        }
    }

    /// <summary>
    /// Rows of the table capture has accounted for (<c>_edgesync_tables.rows</c>), for a row limit: no <c>count(*)</c>
    /// scan per batch; rows not captured yet are not counted, so a limit errs on the side of keeping rows.
    /// </summary>
    public static long Accounted(SyncStore store, int tid) => (long)Sql.Scalar(store.Db, "SELECT rows FROM _edgesync_tables WHERE tid = $t", ("$t", (long)tid))!;

    /// <summary>The capture audit compares <c>count(*)</c> with the rows accounted: pruned rows leave both.</summary>
    public static void Unaccount(SyncStore store, int tid, long rows) =>
        Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET rows = max(0, rows - $n) WHERE tid = $t", ("$n", rows), ("$t", (long)tid));

    public static void RaiseWatermark(SyncStore store, int tid, string site, long seq) =>
        Sql.Scalar(store.Db, "INSERT INTO _edgesync_pruned(tid, site, seq) VALUES ($t, $s, $q) ON CONFLICT(tid, site) DO UPDATE SET seq = max(seq, excluded.seq)",
            ("$t", (long)tid), ("$s", site), ("$q", seq));

    /// <summary>The highest sequence of <paramref name="site"/> pruned from the table here (0: none).</summary>
    public static long Watermark(SyncStore store, int tid, string site) =>
        Sql.Scalar(store.Db, "SELECT seq FROM _edgesync_pruned WHERE tid = $t AND site = $s", ("$t", (long)tid), ("$s", site)) is long seq ? seq : 0;

    /// <summary>Every watermark of a table (site id → sequence), for status.</summary>
    public static Dictionary<string, long> Watermarks(SyncStore store, int tid)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT site, seq FROM _edgesync_pruned WHERE tid = $t";
        cmd.Parameters.AddWithValue("$t", tid);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            marks[r.GetString(0)] = r.GetInt64(1);
        }

        return marks;
    }
}
