using EdgeSync.Clocks;
using EdgeSync.Storage;

namespace EdgeSync.Capture;

/// <summary>
/// Capture for <c>append</c> tables keyed by an INTEGER PRIMARY KEY, with no trigger on insert. The table is its own
/// log: local rows are found in the gaps between <b>remote runs</b> (rowid intervals that hold only rows applied
/// from peers, kept in <c>_edgesync_runs</c>) above the local frontier <c>wm</c> (the highest rowid sealed
/// locally). Each non-empty gap becomes one insert range. Sites whose ids interleave (site-prefixed or time-ordered
/// ids) are handled: rows of other sites above the frontier are skipped run by run, never row by row.
/// Runs only ever join rows of the same origin, so the id space between two other sites' rows, where this site's own
/// ids may land, is never covered by a run. At most <see cref="AppendRuns.MaxGaps"/> gaps are probed per seal. A row inserted
/// below the frontier, inside a remote run, or past the probed gaps is found by <see cref="AppendAudit"/>.
/// </summary>
internal static class AppendScanner
{
    public static int Seal(SyncStore store, TableStore t, Func<Hlc> stamp)
    {
        long tid = t.Info.Id;
        long frontier = TableCatalog.Watermark(store, tid);
        int sealedRows = 0;
        long newFrontier = frontier;
        foreach (var (first, last, count) in AppendRuns.UnsealedGaps(store, t, frontier).ToList())
        {
            long span = last - first + 1;
            AppendRuns.LogRange(store, tid, store.AllocateSeq(span), first, span, stamp().Value, count);
            sealedRows += (int)count;
            newFrontier = Math.Max(newFrontier, last);
        }

        if (sealedRows > 0)
        {
            AppendRuns.Advance(store, tid, newFrontier, sealedRows);
        }

        return sealedRows;
    }

    /// <summary>Records rows just applied from peers as remote runs (call inside the apply transaction).</summary>
    public static void RecordRemoteRows(SyncStore store, TableStore t, Dictionary<string, List<long>> rowidsByOrigin)
    {
        foreach (var (origin, rowids) in rowidsByOrigin)
        {
            AppendRuns.RecordRemote(store, t, store.SiteIndexOf(origin), rowids);
        }
    }
}
