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
    public static List<int> FindSuspects(SqliteConnection reader) => AppendRuns.TablesWithUnaccountedRows(reader);

    /// <summary>Queues every row of <paramref name="t"/> that capture missed; the caller seals afterwards.</summary>
    public static int Repair(SyncStore store, TableStore t)
    {
        long tid = t.Info.Id;
        // This site's insert ranges, under any of its incarnations (rows inside a range received from a peer are
        // accounted by that range): first rowid → (last rowid, rows recorded, rows found now).
        var ranges = new Dictionary<long, (long Hi, long Count, long Actual)>();
        foreach (var (lo, hi, count) in AppendRuns.LocalRanges(store, tid))
        {
            ranges[lo] = (hi, count, 0);
        }

        var orphans = new List<long>();
        foreach (long id in AppendRuns.RowsWithoutMetadata(store, t))
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

        CaptureQueue.QueueInserts(store, tid, orphans);
        int regained = 0;
        foreach (var (lo, (hi, count, actual)) in ranges.Where(r => r.Value.Actual > r.Value.Count))
        {
            // Which rows of the range are new is unknown: every row in it is re-sealed with a fresh clock. Peers that
            // already hold a row see the same values with a newer clock, which changes nothing but the clock.
            CaptureQueue.QueueRowsWithoutMetadata(store, t, lo, hi);
            AppendRuns.SetRangeCount(store, tid, lo, actual);
            regained += (int)(actual - count);
        }

        if (regained > 0)
        {
            AppendRuns.AddAccounted(store, tid, regained);
        }

        return orphans.Count + regained;
    }
}
