using EdgeSync.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What capture has not sealed yet, without sealing it: rows the triggers queued in <c>_edgesync_pending</c>, and
/// rows of rowid-scan tables past the table's watermark (for <c>append</c> tables: in a gap between remote runs,
/// exactly the gaps <see cref="AppendRuns.UnsealedGaps"/> gives the scanner).
/// </summary>
internal static class CaptureQueue
{
    /// <summary>The queue's <c>op</c> values, as the capture triggers write them.</summary>
    public const int OpInsert = 1;

    /// <inheritdoc cref="OpInsert"/>
    public const int OpUpdate = 2;

    /// <inheritdoc cref="OpInsert"/>
    public const int OpDelete = 3;

    /// <summary>
    /// The application inserted the row (its insert trigger; <see cref="OpInsert"/> is EdgeSync's own "seal this row as it
    /// is"). Over a row that was alive it replaced that row (<c>INSERT OR REPLACE</c>, which fires no delete trigger): the
    /// seal starts a new incarnation.
    /// </summary>
    public const int OpInsertByApplication = 4;

    /// <summary>
    /// A row an application insert conflicted with on a secondary unique index, queued before the insert ran: an
    /// <c>INSERT OR REPLACE</c> deletes it without firing a delete trigger, an <c>INSERT OR IGNORE</c>, an upsert or a
    /// failed insert leaves it. The seal seals it as deleted only when it is gone.
    /// </summary>
    public const int OpMaybeReplaced = 5;

    /// <summary>A condition the capture triggers put in their WHEN clause: false while EdgeSync itself writes (<see cref="MuteTriggers"/>), so it does not capture its own writes.</summary>
    public const string TriggersNotMuted = "NOT EXISTS (SELECT 1 FROM _edgesync_ctx)";

    /// <summary>
    /// The statement a capture trigger runs: queues table <paramref name="tid"/>'s row as <paramref name="op"/> with
    /// <paramref name="mask"/> (an SQL expression), its key in <paramref name="keySlots"/> (<c>k0, k1, …</c>) given by
    /// <paramref name="keyValues"/> (expressions over <c>NEW</c> or <c>OLD</c>).
    /// </summary>
    public static string TriggerQueueInsert(int tid, int op, string mask, string keySlots, string keyValues) =>
        $"INSERT INTO _edgesync_pending(tid, op, mask, {keySlots}) VALUES ({tid}, {op}, {mask}, {keyValues})";

    /// <summary>
    /// The statement a capture trigger runs to queue existing rows: table <paramref name="tid"/>'s rows that
    /// <paramref name="from"/> (a <c>FROM … WHERE …</c> over the application's table) selects, as <paramref name="op"/>
    /// with mask 0, their key given by <paramref name="keyValues"/>.
    /// </summary>
    public static string TriggerQueueSelect(int tid, int op, string keySlots, string keyValues, string from) =>
        $"INSERT INTO _edgesync_pending(tid, op, mask, {keySlots}) SELECT {tid}, {op}, 0, {keyValues} {from}";

    /// <summary>Mutes the capture triggers until <see cref="UnmuteTriggers"/>, in the caller's transaction: EdgeSync's own writes to the application's tables are not captured.</summary>
    public static void MuteTriggers(SyncStore store) => Sql.Exec(store.Db, "INSERT OR IGNORE INTO _edgesync_ctx(k) VALUES (1)");

    /// <summary>Ends <see cref="MuteTriggers"/>.</summary>
    public static void UnmuteTriggers(SyncStore store) => Sql.Exec(store.Db, "DELETE FROM _edgesync_ctx");

    /// <summary>
    /// Ends <see cref="MuteTriggers"/> and empties the queue but for stopped tables, for a transaction that sealed first and then wrote only
    /// what it applied: the insert trigger of an <c>lww</c> rowid-scan table does not check the mute, so what it queued
    /// are the transaction's own inserts.
    /// </summary>
    public static void UnmuteTriggersAndDropQueued(SyncStore store) =>
        // The seal keeps the entries of tables whose sync a schema drift stopped (the application's writes, waiting
        // for the drift to be resolved); nothing is applied to those tables, so every other entry is this transaction's.
        Sql.Exec(store.Db, "DELETE FROM _edgesync_ctx; DELETE FROM _edgesync_pending WHERE 1" + OutsideOf(store.StoppedTableIds()));

    /// <summary>True when the trigger queue holds rows of a table not in <paramref name="stopped"/> (tables whose sync a schema drift stopped: their rows wait).</summary>
    public static bool HasRows(SqliteConnection db, IReadOnlyCollection<int> stopped) =>
        Sql.Scalar(db, $"SELECT EXISTS (SELECT 1 FROM _edgesync_pending WHERE 1{OutsideOf(stopped)})") is long n && n != 0;

    /// <summary>The condition, after a <c>WHERE</c>, that leaves out the entries of the <paramref name="stopped"/> tables (none: nothing).</summary>
    private static string OutsideOf(IReadOnlyCollection<int> stopped) =>
        stopped.Count == 0 ? "" : $" AND tid NOT IN ({string.Join(", ", stopped)})";

    public static bool HasRowsPastWatermark(SyncStore store, TableStore t)
    {
        long wm = TableCatalog.Watermark(store, t.Info.Id);
        if (t.MaxRowid() is var max && max <= wm)
        {
            return false;
        }

        return t.Info.Policy != TablePolicy.Append || AppendRuns.UnsealedGaps(store, t, wm).Any();
    }

    /// <summary>One row of the trigger queue: its id, table, operation (<see cref="OpInsert"/>…), the changed-column mask, the key (<c>k0</c>…, as many as the table's key has).</summary>
    public readonly record struct Queued(long Id, int Tid, int Op, long Mask, object?[] Key)
    {
        /// <summary>True when the row was deleted (if it exists now, it was inserted again).</summary>
        public bool IsDelete => Op == OpDelete;
    }

    /// <summary>
    /// The trigger queue in the order it was written. The key has one value per primary-key column of the table as
    /// <paramref name="store"/> knows it (NULL where the row gave none). Reads only; in the caller's transaction.
    /// </summary>
    public static IEnumerable<Queued> ReadQueued(SyncStore store)
    {
        using var cmd = store.Db.CreateCommand();
        cmd.CommandText = "SELECT id, tid, op, mask, k0, k1, k2, k3 FROM _edgesync_pending ORDER BY id";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            int tid = (int)r.GetInt64(1);
            int n = store.Table(tid).Info.PrimaryKey.Count;
            var key = new object?[n];
            for (int i = 0; i < n; i++)
            {
                key[i] = r.IsDBNull(4 + i) ? null : r.GetValue(4 + i);
            }

            yield return new Queued(r.GetInt64(0), tid, (int)r.GetInt64(2), r.GetInt64(3), key);
        }
    }

    /// <summary>
    /// The keys in the trigger queue, from any connection (a reader's snapshot): table id and key, as many key values as
    /// <paramref name="keyWidth"/> gives for the table (NULL where the row gave none).
    /// </summary>
    public static List<(int Tid, object?[] Key)> QueuedKeys(SqliteConnection reader, Func<int, int> keyWidth)
    {
        var keys = new List<(int, object?[])>();
        using var cmd = reader.CreateCommand();
        cmd.CommandText = "SELECT tid, k0, k1, k2, k3 FROM _edgesync_pending";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            int tid = (int)r.GetInt64(0);
            var key = new object?[keyWidth(tid)];
            for (int i = 0; i < key.Length; i++)
            {
                key[i] = r.IsDBNull(1 + i) ? null : r.GetValue(1 + i);
            }

            keys.Add((tid, key));
        }

        return keys;
    }

    /// <summary>
    /// Marks <paramref name="column"/> (bit <paramref name="bit"/> of the mask) changed in the queued updates of
    /// <paramref name="t"/> whose row holds another value there than <paramref name="defaultSql"/> (the column's declared
    /// default as SQL, or NULL): the triggers that queued them did not know the column yet.
    /// </summary>
    public static void MarkColumnWritten(SyncStore store, TableInfo t, string column, long bit, string defaultSql)
    {
        var where = string.Join(" AND ", t.PrimaryKey.Select((c, i) => $"u.{Sql.Quote(t.Columns[c])} IS p.k{i}"));
        Sql.Scalar(store.Db,
            $"UPDATE _edgesync_pending AS p SET mask = mask | $bit WHERE p.tid = $t AND p.op = {OpUpdate} "
            + $"AND (SELECT u.{Sql.Quote(column)} FROM {Sql.Quote(t.Name)} AS u WHERE {where}) IS NOT ({defaultSql})",
            ("$bit", bit), ("$t", (long)t.Id));
    }

    /// <summary>Removes the queue's rows up to <paramref name="maxId"/> except those of the tables in <paramref name="stopped"/> (their sync is stopped: the rows wait for it to resume).</summary>
    public static void RemoveSealed(SyncStore store, long maxId, IReadOnlyCollection<int> stopped) =>
        Sql.Scalar(store.Db, $"DELETE FROM _edgesync_pending WHERE id <= $m{OutsideOf(stopped)}", ("$m", maxId));

    /// <summary>Queues <paramref name="rowids"/> of table <paramref name="tid"/> as inserts for the next seal.</summary>
    public static void QueueInserts(SyncStore store, long tid, IEnumerable<long> rowids)
    {
        using var queue = Sql.Prepare(store.Db, "INSERT INTO _edgesync_pending(tid, op, mask, k0) VALUES ($t, 1, -1, $k)", "$t", "$k");
        queue.Set(0, tid);
        foreach (long id in rowids)
        {
            queue.Set(1, id);
            queue.ExecuteNonQuery();
        }
    }

    /// <summary>Queues as inserts the rows of <paramref name="t"/> between <paramref name="lo"/> and <paramref name="hi"/> that have no row metadata.</summary>
    public static void QueueRowsWithoutMetadata(SyncStore store, TableStore t, long lo, long hi) =>
        Sql.Scalar(store.Db,
            $"INSERT INTO _edgesync_pending(tid, op, mask, k0) SELECT $t, 1, -1, u.rowid FROM {t.QuotedName} AS u "
            + "WHERE u.rowid BETWEEN $lo AND $hi AND NOT EXISTS (SELECT 1 FROM _edgesync_rows m WHERE m.tid = $t AND m.pk = +u.rowid)",
            ("$t", (long)t.Info.Id), ("$lo", lo), ("$hi", hi));
}
