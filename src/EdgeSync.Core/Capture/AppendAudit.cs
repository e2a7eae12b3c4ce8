using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Capture;

/// <summary>
/// The safety net of <see cref="AppendScanner"/>: an append table has no insert trigger, so a row inserted below the
/// local frontier (an id lower than rows already sealed) or inside a remote run is not seen by the scan. Each
/// append table keeps the number of rows it has accounted for (<c>_edgesync_tables.rows</c>); the audit compares it
/// with <c>count(*)</c> in a read snapshot, and only when the table holds more rows than accounted does it walk the
/// table, queue the rows no range or metadata accounts for, and re-seal insert ranges that gained rows, received
/// ones included (a local row whose id fell inside a peer's range span reads as that range's, simulation seed 5785).
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

        // A range received from a peer accounts for the rows it carried: any more inside its span (a local row whose
        // id fell there, since a range's rows need not be contiguous) is read as the range's and was never issued.
        var received = new Dictionary<long, (long Hi, long Count, long Actual)>();
        Dictionary<long, (long Hi, long Count)>? all = null;
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
            else if (received.TryGetValue(lo.Value, out var other))
            {
                received[lo.Value] = other with { Actual = other.Actual + 1 };
            }
            else if ((all ??= AppendRuns.AllRanges(store, tid)).TryGetValue(lo.Value, out var found))
            {
                received[lo.Value] = (found.Hi, found.Count, 1);
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

        // Which rows are this site's is unknown: every row without metadata in the span is sealed here with a fresh
        // clock (the peer's rows among them keep their values; the newer clock changes nothing else). Sealed per row,
        // they no longer read as the range's, so the range keeps the count it was received with. A range whose rows
        // partly have metadata here may hide the extra row from this count; then the table's own shortfall decides,
        // and every received range holding rows without metadata is sealed again.
        var gained = received.Where(r => r.Value.Actual > r.Value.Count).ToList();
        long shortfall = AppendRuns.RowCount(store, t) - AppendRuns.Accounted(store, tid) - orphans.Count - regained;
        if (gained.Sum(r => r.Value.Actual - r.Value.Count) < shortfall)
        {
            gained = received.ToList();
        }

        foreach (var (lo, (hi, _, _)) in gained)
        {
            CaptureQueue.QueueRowsWithoutMetadata(store, t, lo, hi);
        }

        regained += (int)Math.Max(0, Math.Min(shortfall, gained.Sum(r => r.Value.Actual)));

        if (regained > 0)
        {
            AppendRuns.AddAccounted(store, tid, regained);
        }

        return orphans.Count + regained;
    }
}
