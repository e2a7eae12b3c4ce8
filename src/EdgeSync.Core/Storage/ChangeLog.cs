using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Writes to the change log (<c>_edgesync_log</c>): one entry per row event (a sequence number that changed one row,
/// <c>span = 0</c>) or per insert range (<c>span</c> consecutive sequence numbers for as many consecutive rowids).
/// Capture logs the events it seals under this site; apply logs what it merged under the change's origin, so it can be
/// relayed. Runs in the caller's write transaction.
/// </summary>
internal static class ChangeLog
{
    /// <summary>
    /// A prepared statement for row events, for a loop that logs many (one per seal or batch). With
    /// <paramref name="replace"/> an entry already there for the same origin and sequence number is overwritten (capture
    /// logs its own numbers), otherwise kept (apply may receive an event twice).
    /// </summary>
    public static RowEvents PrepareRowEvents(SyncStore store, bool replace) => new(store.Db, replace);

    /// <summary>Logs an insert range: <paramref name="span"/> sequence numbers from <paramref name="seq"/> for the rowids from <paramref name="first"/>.</summary>
    public static void AddRange(SyncStore store, long tid, long seq, long first, long span, long hlc) =>
        Sql.Scalar(store.Db,
            "INSERT INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, $n, $h)",
            ("$s", (long)store.SiteIndex), ("$q", seq), ("$t", tid), ("$pk", first), ("$n", span), ("$h", hlc));

    /// <summary>The prepared row-event statement of <see cref="PrepareRowEvents"/>.</summary>
    internal sealed class RowEvents : IDisposable
    {
        private readonly SqliteCommand _insert;

        public RowEvents(SqliteConnection db, bool replace) =>
            _insert = Sql.Prepare(db,
                (replace ? "INSERT OR REPLACE" : "INSERT OR IGNORE") + " INTO _edgesync_log(site, seq, tid, pk, span, hlc) VALUES ($s, $q, $t, $pk, 0, $h)",
                "$s", "$q", "$t", "$pk", "$h");

        /// <summary>Logs that event <paramref name="seq"/> of origin <paramref name="site"/> changed row <paramref name="storedKey"/> of table <paramref name="tid"/>.</summary>
        public void Add(long site, long seq, long tid, object storedKey, long hlc)
        {
            _insert.Set(0, site);
            _insert.Set(1, seq);
            _insert.Set(2, tid);
            _insert.Set(3, storedKey);
            _insert.Set(4, hlc);
            _insert.ExecuteNonQuery();
        }

        public void Dispose() => _insert.Dispose();
    }
}
