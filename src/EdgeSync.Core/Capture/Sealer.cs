using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Schema;
using EdgeSync.Storage;

namespace EdgeSync.Capture;

/// <summary>
/// Turns what the triggers and the rowid watermark recorded into clocked changes ("sealing"): every change made
/// since the last seal, by any process, gets this site's next sequence number, one HLC for the seal, a row clock in
/// <c>_edgesync_rows</c> and an entry in <c>_edgesync_log</c>. New rows past a rowid-scan table's watermark are
/// sealed as one range entry, with no per-row work. Runs inside the caller's write transaction.
/// </summary>
internal static class Sealer
{
    public static CaptureResult Seal(SyncStore store)
    {
        SchemaSync.Check(store); // first: the tables below must be the tables as they are now
        if (store.ClaimSession())
        {
            Reincarnation.Retire(store); // the last writer never closed the file: it may have lost numbers it issued
        }

        Hlc? hlc = null;
        Hlc Stamp() => hlc ??= store.Clock.Next();
        int rangeRows = 0;
        int rowEvents = 0;
        var touched = new Dictionary<(int Tid, object Key), (object?[] Key, long Mask, bool Deleted)>(KeyComparer.Instance);
        var newRanges = new Dictionary<int, (long From, long To)>();

        foreach (var t in store.Tables)
        {
            if (t.Info.Mode == CaptureMode.RowidScan && t.Info.Drift is null)
            {
                rangeRows += t.Info.Policy == TablePolicy.Append
                    ? AppendScanner.Seal(store, t, Stamp)
                    : SealInsertRange(store, t, Stamp, touched, newRanges);
            }
        }

        long maxPending = ReadPending(store, touched, newRanges);
        if (maxPending > 0)
        {
            // What was recorded for a table whose sync is stopped (schema drift) stays until the drift is resolved.
            CaptureQueue.RemoveSealed(store, maxPending, store.StoppedTableIds());
        }

        if (touched.Count > 0)
        {
            using var log = ChangeLog.PrepareRowEvents(store, replace: true);
            foreach (var ((tid, storedKey), (key, mask, deleted)) in touched)
            {
                if (SealRow(store, store.Table(tid), key, storedKey, mask, deleted, Stamp, log))
                {
                    rowEvents++;
                }
            }
        }

        if (store.SchemaEvents.Count > 0)
        {
            SchemaSync.WriteStashedValues(store); // after the seal: local writes of a new column are clocked first
        }

        return new CaptureResult(rowEvents + rangeRows, rangeRows);
    }

    private static int SealInsertRange(
        SyncStore store, TableStore t, Func<Hlc> stamp,
        Dictionary<(int, object), (object?[], long, bool)> touched, Dictionary<int, (long, long)> newRanges)
    {
        long wm = TableCatalog.Watermark(store, t.Info.Id);
        long max = t.MaxRowid();
        if (max <= wm)
        {
            return 0;
        }

        // Rows past the watermark that already have metadata (a tombstone applied from a peer, then re-inserted
        // here) are sealed one by one so their causal length continues; everything else becomes ranges.
        var known = t.RowidsWithMetadata(wm, max);

        int rows = 0;
        long lo = wm + 1;
        foreach (long k in known.Append(max + 1))
        {
            if (k > lo)
            {
                long span = k - lo;
                long seq = store.AllocateSeq(span);
                ChangeLog.AddRange(store, t.Info.Id, seq, lo, span, stamp().Value);
                rows += (int)Math.Min(int.MaxValue, t.CountRows(lo, k - 1));
            }

            if (k <= max)
            {
                touched[(t.Info.Id, k)] = ([k], -1, false);
            }

            lo = k + 1;
        }

        TableCatalog.SetWatermark(store, t.Info.Id, max);
        newRanges[t.Info.Id] = (wm + 1, max);
        return rows;
    }

    private static long ReadPending(SyncStore store, Dictionary<(int, object), (object?[] Key, long Mask, bool Deleted)> touched, Dictionary<int, (long From, long To)> newRanges)
    {
        long maxId = 0;
        var scratch = new ByteWriter();
        foreach (var q in CaptureQueue.ReadQueued(store))
        {
            maxId = q.Id;
            int tid = q.Tid;
            if (store.Table(tid).Info.Drift is not null)
            {
                continue;
            }

            var key = q.Key;
            if (key.Any(k => k is null))
            {
                continue; // SQLite allows NULL in non-integer keys of rowid tables; such rows cannot be identified
            }

            if (key.Length == 1 && key[0] is long rowid && newRanges.TryGetValue(tid, out var range)
                && rowid >= range.From && rowid <= range.To && !touched.ContainsKey((tid, rowid)))
            {
                continue; // inserted since the last seal: the new range carries its current values
            }

            var stored = KeyCodec.ToStored(key, scratch);
            long mask = q.IsDelete ? 0 : q.Mask;
            // Whatever row the key held before is gone: deleted, or replaced by an application insert (INSERT OR REPLACE
            // fires no delete trigger; a plain insert over a row alive at the last seal means it was removed unseen).
            // A row queued as maybe replaced through a unique index is neither: SealRow seals it as deleted if it is gone.
            bool replaced = q.IsDelete || q.Op == CaptureQueue.OpInsertByApplication;
            touched[(tid, stored)] = touched.TryGetValue((tid, stored), out var prior)
                ? (key, prior.Mask | mask, prior.Deleted || replaced)
                : (key, mask, replaced);
        }

        return maxId;
    }

    /// <remarks>
    /// <paramref name="deletedSince"/>: the row was deleted since the last seal (it may exist again), or the application
    /// inserted it (over a live row, only <c>INSERT OR REPLACE</c> can). A row that was alive at the last seal, was deleted
    /// or replaced and is there again is a new incarnation, as when a seal fell between a delete and an insert: its causal length rises by two (the delete, the insert), every column is clocked anew, and values kept
    /// aside for the old incarnation are forgotten. Sealed as an update instead, the new row kept, on every peer, the old
    /// row's values of the columns its writer lacks, and this replica's kept-aside values travelled with it.
    /// </remarks>
    private static bool SealRow(SyncStore store, TableStore t, object?[] key, object storedKey, long mask, bool deletedSince, Func<Hlc> stamp, ChangeLog.RowEvents log)
    {
        var prior = t.LoadClocks(key, storedKey);
        var current = t.SelectRow(key);
        RowState next;
        CellClock made; // the event this seal issues for the row
        if (current is not null)
        {
            if (prior is { IsDeleted: false } && mask == -1 && t.CausalFloor > 0 && !t.HasMeta(storedKey))
            {
                prior = null; // inserted where only an insert range speaks of the row: its tombstone may have been compacted
            }

            if (deletedSince && prior is { IsDeleted: false } replaced)
            {
                t.ForgetStash(storedKey);
                var newest = replaced.Newest;
                made = NewClock(store, stamp, newest.Hlc, newest.Site);
                next = RowState.Alive(replaced.CausalLength + 2, current, Fill(t.ColumnCount, made));
            }
            else if (prior is null || prior.IsDeleted)
            {
                var seen = prior?.Clocks[0] ?? default;
                var clock = made = NewClock(store, stamp, seen.PrevHlc, seen.PrevSite ?? "");
                // With no metadata the row continues above every tombstone compaction dropped from the table, so
                // it beats one a peer still keeps (design.md §6).
                next = RowState.Alive((prior?.CausalLength ?? t.CausalFloor) + 1, current, Fill(t.ColumnCount, clock));
            }
            else
            {
                var clocks = (CellClock[])prior.Clocks.Clone();
                CellClock? clock = null;
                for (int c = 0; c < clocks.Length; c++)
                {
                    if ((mask & (1L << Math.Min(c, 63))) != 0)
                    {
                        var (prevHlc, prevSite) = Overwritten(store, prior.Clocks[c]);
                        clocks[c] = clock is { } k ? k with { PrevHlc = prevHlc, PrevSite = prevSite }
                            : (clock = NewClock(store, stamp, prevHlc, prevSite)).Value;
                    }
                }

                if (clock is not { } issued)
                {
                    return false;
                }

                made = issued;
                next = RowState.Alive(prior.CausalLength, current, clocks);
            }
        }
        else if (prior is { IsDeleted: false })
        {
            t.ForgetStash(storedKey);
            var newest = prior.Newest;
            next = RowState.Deleted(prior.CausalLength + 1, made = NewClock(store, stamp, newest.Hlc, newest.Site));
        }
        else
        {
            return false; // inserted and deleted between two seals, or already deleted: nothing to tell anyone
        }

        t.PutMeta(storedKey, next);
        if (t.Info.Policy == TablePolicy.Append && prior is null)
        {
            AppendRuns.AddAccounted(store, t.Info.Id, 1);
        }

        // The entry names the event issued here, not the row's newest clock: right after a clock that ran ahead was
        // set back, another column may still hold a clock in the future (another site's, or this site's before it is
        // re-stamped), whose sequence number is not this site's to log.
        log.Add(store.SiteIndex, made.Seq, t.Info.Id, storedKey, made.Hlc.Value);
        return true;
    }

    /// <summary>
    /// What a new write to a cell names as the value it overwrote: the cell's clock, or, when that is this site's own
    /// earlier write, what that write named. A site's own earlier writes are known seen from their sequence numbers;
    /// naming the newest other origin's write it had overwritten keeps that proof too, so a peer that still holds that
    /// write does not record its loss as a conflict (<see cref="CellClock.HasSeen"/>, docs/design.md "Conflicts").
    /// </summary>
    private static (Hlc Hlc, string Site) Overwritten(SyncStore store, CellClock old) =>
        !old.IsUnwritten && string.Equals(old.Site, store.SiteId, StringComparison.Ordinal) ? (old.PrevHlc, old.PrevSite) : (old.Hlc, old.Site);

    private static CellClock NewClock(SyncStore store, Func<Hlc> stamp, Hlc prevHlc, string prevSite) =>
        new(stamp(), store.SiteId, store.AllocateSeq(1), prevHlc, prevSite);

    private static CellClock[] Fill(int n, CellClock clock)
    {
        var a = new CellClock[n];
        Array.Fill(a, clock);
        return a;
    }
}
