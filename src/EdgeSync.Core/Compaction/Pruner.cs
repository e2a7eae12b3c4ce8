using EdgeSync.Clocks;
using EdgeSync.Storage;

namespace EdgeSync.Compaction;

/// <summary>
/// Retention on an <c>append</c> table, one bounded batch per call in its own short write transaction. A row may go
/// when the policy says so (older than the maximum age by its clock, or among the oldest past the row limit) and
/// every clock it carries is at or below <c>held</c> (what the required level, e.g. the hub, holds of that origin).
/// Insert ranges lose rows from the front only (a range's sequences grow with its rowids, so the held part is a
/// prefix): the range entry is trimmed, or dropped when empty; rows with per-row metadata lose their metadata and log
/// entries too. Rows accounted by capture (<c>_edgesync_tables.rows</c>) go down by the rows deleted, so the append
/// audit's <c>count(*)</c> comparison stays exact, and the per-table, per-origin watermark rises (see
/// <see cref="RetentionRecords"/>), so a peer that sends the rows again cannot re-insert them.
/// </summary>
internal static class Pruner
{
    public static PruneResult PruneBatch(SyncStore store, int tid, RetentionPolicy policy, VersionVector held, int budget,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var t = store.Table(tid);
        int columns = t.ColumnCount;
        store.Begin(cancellationToken);
        try
        {
            CaptureQueue.MuteTriggers(store); // the append table's delete guard lets us through
            long excess = policy.MaxRows is { } max ? RetentionRecords.Accounted(store, tid) - max : 0;
            long cutoff = policy.MaxAge is { } age ? (now - age).ToUnixTimeMilliseconds() : long.MinValue;
            int deleted = 0;
            long slots = 0;
            foreach (var range in RetentionRecords.OldestRanges(store, tid, 256))
            {
                bool old = new Hlc(range.Hlc).Milliseconds < cutoff;
                if (slots >= budget || (!old && excess <= 0))
                {
                    break;
                }

                string site = store.Sites.NameOf(range.Site);
                long allowed = Math.Min(range.Span, held[site] - range.Seq + 1);
                long take = Math.Min(Math.Min(allowed, old ? range.Span : excess), budget - slots);
                if (take <= 0)
                {
                    continue; // the required level does not hold the start of this range yet
                }

                int n = RetentionRecords.DeleteRangeRows(store, t.QuotedName, tid, range.Lo, range.Lo + take - 1);
                RetentionRecords.TrimRange(store, range, take, n);
                RetentionRecords.RaiseWatermark(store, tid, site, range.Seq + take - 1);
                deleted += n;
                excess -= n;
                slots += take;
            }

            if (slots < budget)
            {
                foreach (var (rowid, blob) in RetentionRecords.MetadataRows(store, tid, budget * 4))
                {
                    var clocks = ClockCodec.Decode(blob, columns, store.Sites.NameOf);
                    bool old = clocks.Max(c => c.Hlc.Milliseconds) < cutoff;
                    if ((!old && excess <= 0) || !clocks.All(c => c.Seq <= held[c.Site]))
                    {
                        continue;
                    }

                    var events = clocks.Select(c => (Site: store.Sites.TryGetIndex(c.Site, out int i) ? i : -1, c.Seq)).Where(e => e.Site >= 0).ToList();
                    RetentionRecords.DeleteRow(store, t.QuotedName, tid, rowid, events);
                    foreach (var c in clocks)
                    {
                        RetentionRecords.RaiseWatermark(store, tid, c.Site, c.Seq);
                    }

                    deleted++;
                    excess--;
                    if (++slots >= budget)
                    {
                        break;
                    }
                }
            }

            if (deleted > 0)
            {
                RetentionRecords.Unaccount(store, tid, deleted);
            }

            CaptureQueue.UnmuteTriggers(store);
            store.Commit();
            return new PruneResult(deleted, slots >= budget);
        }
        catch
        {
            store.Rollback();
            throw;
        }
    }
}
