using EdgeSync.Clocks;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Writes received append rows of one table as insert ranges in <c>_edgesync_log</c> (one entry for many rows) when
/// their span holds exactly those rows and no other range, so range lookups stay exact. Inside the apply transaction.
/// </summary>
internal sealed class ReceivedRanges : IDisposable
{
    private readonly SyncStore _store;
    private readonly SqliteCommand _count;
    private readonly SqliteCommand _overlap;
    private readonly SqliteCommand _insert;

    public ReceivedRanges(SyncStore store, TableStore t)
    {
        _store = store;
        _count = Sql.Prepare(store.Db, $"SELECT count(*) FROM {t.QuotedName} WHERE rowid BETWEEN $a AND $b", "$a", "$b");
        _overlap = Sql.Prepare(store.Db,
            "SELECT count(*) FROM _edgesync_log WHERE tid = $t AND span > 0 AND ((pk <= $a AND pk + span > $a) OR pk BETWEEN $a AND $b)",
            "$t", "$a", "$b");
        _insert = Sql.Prepare(store.Db,
            "INSERT OR IGNORE INTO _edgesync_log(site, seq, tid, pk, span, hlc, cnt) VALUES ($s, $q, $t, $pk, $n, $h, $c)",
            "$s", "$q", "$t", "$pk", "$n", "$h", "$c");
        _overlap.Set(0, (long)t.Info.Id);
        _insert.Set(2, (long)t.Info.Id);
    }

    /// <summary>
    /// Records rows <paramref name="lo"/>..<paramref name="hi"/> (<paramref name="n"/> of them, at least two, all of
    /// one event of <paramref name="clock"/>'s origin numbered from its sequence) as one range; false, with nothing
    /// written, when anything else lies in the span.
    /// </summary>
    public bool TryKeep(long lo, long hi, int n, CellClock clock)
    {
        if (n < 2 || Scalar(_count, lo, hi) != n || Scalar(_overlap, lo, hi, offset: 1) != 0)
        {
            return false;
        }

        _insert.Set(0, (long)_store.Sites.GetOrAdd(_store.Db, clock.Site));
        _insert.Set(1, clock.Seq);
        _insert.Set(3, lo);
        _insert.Set(4, hi - lo + 1);
        _insert.Set(5, clock.Hlc.Value);
        _insert.Set(6, (long)n);
        return _insert.ExecuteNonQuery() == 1;
    }

    private static long Scalar(SqliteCommand cmd, long a, long b, int offset = 0)
    {
        cmd.Set(offset, a);
        cmd.Set(offset + 1, b);
        return (long)cmd.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _count.Dispose();
        _overlap.Dispose();
        _insert.Dispose();
    }
}
