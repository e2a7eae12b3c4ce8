using EdgeSync.Clocks;
using EdgeSync.Internal;
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

        using var count = Sql.Prepare(store.Db, $"SELECT count(*) FROM {t.QuotedName} WHERE rowid BETWEEN $a AND $b", "$a", "$b");
        using var overlap = Sql.Prepare(store.Db,
            "SELECT count(*) FROM _edgesync_log WHERE tid = $t AND span > 0 AND ((pk <= $a AND pk + span > $a) OR pk BETWEEN $a AND $b)",
            "$t", "$a", "$b");
        using var insert = Sql.Prepare(store.Db,
            "INSERT OR IGNORE INTO _edgesync_log(site, seq, tid, pk, span, hlc, cnt) VALUES ($s, $q, $t, $pk, $n, $h, $c)",
            "$s", "$q", "$t", "$pk", "$n", "$h", "$c");
        overlap.Set(0, (long)t.Info.Id);
        insert.Set(2, (long)t.Info.Id);

        // Kept as a range only if nothing else lies in its span; otherwise its rows get per-row metadata.
        bool KeepAsRange(long lo, long hi, int n, CellClock clock)
        {
            if (n < 2 || Scalar(count, lo, hi) != n || Scalar(overlap, lo, hi, offset: 1) != 0)
            {
                return false;
            }

            insert.Set(0, (long)store.Sites.GetOrAdd(store.Db, clock.Site));
            insert.Set(1, clock.Seq);
            insert.Set(3, lo);
            insert.Set(4, hi - lo + 1);
            insert.Set(5, clock.Hlc.Value);
            insert.Set(6, (long)n);
            return insert.ExecuteNonQuery() == 1;
        }

        int start = 0;
        for (int i = 1; i <= rows.Count; i++)
        {
            if (i < rows.Count && SameRun(rows[start], rows[i]))
            {
                continue;
            }

            if (!KeepAsRange(rows[start].Rowid, rows[i - 1].Rowid, i - start, rows[start].Clock))
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
            if (!KeepAsRange(run.Rowids[from], run.Rowids[run.Count - 1], run.Count - from, run.ClockAt(from)))
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

    private static long Scalar(Microsoft.Data.Sqlite.SqliteCommand cmd, long a, long b, int offset = 0)
    {
        cmd.Set(offset, a);
        cmd.Set(offset + 1, b);
        return (long)cmd.ExecuteScalar()!;
    }
}
