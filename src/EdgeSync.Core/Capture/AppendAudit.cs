using EdgeSync.Internal;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Capture;

/// <summary>
/// The safety net of <see cref="AppendScanner"/>: an append table has no insert trigger, so a row inserted below the
/// local frontier (an id lower than rows already sealed) or inside a remote run is not seen by the scan. Each
/// append table keeps the number of rows it has accounted for (<c>_edgesync_tables.rows</c>); the audit compares it
/// with <c>count(*)</c> in a read snapshot, and only when the table holds more rows than accounted does it walk the
/// table, queue the rows no range or metadata accounts for, and re-seal insert ranges that gained rows.
/// </summary>
internal static class AppendAudit
{
    /// <summary>Table ids whose row count exceeds what capture accounted for (read-only; any connection).</summary>
    public static List<int> FindSuspects(SqliteConnection reader)
    {
        var tables = new List<(int Tid, string Name, long Rows)>();
        var suspects = new List<int>();
        Sql.Exec(reader, "BEGIN");
        try
        {
            using (var cmd = reader.CreateCommand())
            {
                cmd.CommandText = "SELECT tid, name, rows FROM _edgesync_tables WHERE policy = 'append' AND mode = 'rowid-scan' AND drift IS NULL";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    tables.Add(((int)r.GetInt64(0), r.GetString(1), r.GetInt64(2)));
                }
            }

            foreach (var (tid, name, rows) in tables)
            {
                if ((long)Sql.Scalar(reader, $"SELECT count(*) FROM {Sql.Quote(name)}")! > rows)
                {
                    suspects.Add(tid);
                }
            }
        }
        finally
        {
            Sql.Exec(reader, "COMMIT");
        }

        return suspects;
    }

    /// <summary>Queues every row of <paramref name="t"/> that capture missed; the caller seals afterwards.</summary>
    public static int Repair(SyncStore store, TableStore t)
    {
        long tid = t.Info.Id;
        // This site's insert ranges, under any of its incarnations (rows inside a range received from a peer are
        // accounted by that range).
        var ranges = new Dictionary<long, (long Hi, long Count, long Actual)>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT pk, span, cnt FROM _edgesync_log WHERE tid = $t AND span > 0 AND site IN "
                + "(SELECT idx FROM _edgesync_sites WHERE site = $b OR substr(site, 1, length($b) + 1) = $b || '~')";
            cmd.Parameters.AddWithValue("$t", tid);
            cmd.Parameters.AddWithValue("$b", Storage.SiteIncarnation.BaseOf(store.SiteId));
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                long lo = r.GetInt64(0);
                ranges[lo] = (lo + r.GetInt64(1) - 1, r.GetInt64(2), 0);
            }
        }

        var orphans = new List<long>();
        var candidates = new List<long>();
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = $"SELECT u.rowid FROM {t.QuotedName} AS u LEFT JOIN _edgesync_rows AS m ON m.tid = $t AND m.pk = +u.rowid "
                + "WHERE m.pk IS NULL ORDER BY u.rowid";
            cmd.Parameters.AddWithValue("$t", tid);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                candidates.Add(r.GetInt64(0));
            }
        }

        foreach (long id in candidates)
        {
            var lo = t.RangeStart(id);
            if (lo is null)
            {
                orphans.Add(id);
            }
            else if (ranges.TryGetValue(lo.Value, out var range))
            {
                ranges[lo.Value] = range with { Actual = range.Actual + 1 };
            }
        }

        using var queue = Sql.Prepare(store.Db, "INSERT INTO _edgesync_pending(tid, op, mask, k0) VALUES ($t, 1, -1, $k)", "$t", "$k");
        queue.Set(0, tid);
        foreach (long id in orphans)
        {
            queue.Set(1, id);
            queue.ExecuteNonQuery();
        }

        int regained = 0;
        foreach (var (lo, (hi, count, actual)) in ranges.Where(r => r.Value.Actual > r.Value.Count))
        {
            // Which rows of the range are new is unknown: every row in it is re-sealed with a fresh clock. Peers that
            // already hold a row see the same values with a newer clock, which changes nothing but the clock.
            Sql.Scalar(store.Db,
                $"INSERT INTO _edgesync_pending(tid, op, mask, k0) SELECT $t, 1, -1, u.rowid FROM {t.QuotedName} AS u "
                + "WHERE u.rowid BETWEEN $lo AND $hi AND NOT EXISTS (SELECT 1 FROM _edgesync_rows m WHERE m.tid = $t AND m.pk = +u.rowid)",
                ("$t", tid), ("$lo", lo), ("$hi", hi));
            Sql.Scalar(store.Db, "UPDATE _edgesync_log SET cnt = $a WHERE tid = $t AND pk = $lo AND span > 0", ("$a", actual), ("$t", tid), ("$lo", lo));
            regained += (int)(actual - count);
        }

        if (regained > 0)
        {
            Sql.Scalar(store.Db, "UPDATE _edgesync_tables SET rows = rows + $n WHERE tid = $t", ("$n", (long)regained), ("$t", tid));
        }

        return orphans.Count + regained;
    }
}
