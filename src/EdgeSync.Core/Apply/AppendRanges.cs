using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Storage;

namespace EdgeSync.Apply;

/// <summary>
/// Received append rows are stored the way their origin stored them: as insert ranges. Rows inserted by one batch
/// whose (origin, HLC) are equal and whose sequence numbers follow their rowids (<c>seq − rowid</c> constant) came
/// from one range at their origin; they get one log entry instead of a metadata row and a log row each. A run is kept
/// as a range only if nothing else lies in its span (no other row, no other range), so range lookups stay exact;
/// otherwise its rows fall back to per-row metadata.
/// </summary>
internal static class AppendRanges
{
    /// <summary>A live first incarnation written by a single event: what an append insert looks like.</summary>
    public static bool IsPlainInsert(RowState s)
    {
        if (s.IsDeleted || s.CausalLength != 1)
        {
            return false;
        }

        var first = s.Clocks[0];
        for (int i = 1; i < s.Clocks.Length; i++)
        {
            if (s.Clocks[i] != first)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Rows of an insert run this batch inserted, all of them from <paramref name="From"/> on: one group already
    /// (one origin and HLC, sequence numbers following rowids).
    /// </summary>
    public readonly record struct InsertedRun(Protocol.InsertRun Run, int From);

    public static void Record(SyncStore store, TableStore t, List<(long Rowid, CellClock Clock)> rows, List<InsertedRun> runs, Action<long, CellClock> perRow)
    {
        if (!Ascending(rows))
        {
            rows.Sort((a, b) => a.Rowid.CompareTo(b.Rowid));
        }

        using var ranges = new ReceivedRanges(store, t); // a group not kept as a range gets per-row metadata

        int start = 0;
        for (int i = 1; i <= rows.Count; i++)
        {
            if (i < rows.Count && SameRun(rows[start], rows[i]))
            {
                continue;
            }

            if (!ranges.TryKeep(rows[start].Rowid, rows[i - 1].Rowid, i - start, rows[start].Clock))
            {
                for (int k = start; k < i; k++)
                {
                    perRow(rows[k].Rowid, rows[k].Clock);
                }
            }

            start = i;
        }

        foreach (var (run, from) in runs)
        {
            if (!ranges.TryKeep(run.Rowids[from], run.Rowids[run.Count - 1], run.Count - from, run.ClockAt(from)))
            {
                for (int k = from; k < run.Count; k++)
                {
                    perRow(run.Rowids[k], run.ClockAt(k));
                }
            }
        }
    }

    private static bool Ascending(List<(long Rowid, CellClock Clock)> rows)
    {
        for (int i = 1; i < rows.Count; i++)
        {
            if (rows[i].Rowid < rows[i - 1].Rowid)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameRun((long Rowid, CellClock Clock) first, (long Rowid, CellClock Clock) next) =>
        first.Clock.PrevHlc == Hlc.Zero
        && string.Equals(first.Clock.Site, next.Clock.Site, StringComparison.Ordinal)
        && first.Clock.Hlc == next.Clock.Hlc
        && first.Clock.PrevHlc == next.Clock.PrevHlc
        && next.Clock.Seq - first.Clock.Seq == next.Rowid - first.Rowid;
}
