using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What a database records about its exchanges with peers, for operators and for the agent: the last exchange per
/// peer and table (<c>cluster_sync</c>), the refusals peers sent back, each peer's backlog, the conflict audit and the
/// last backup. Reads use their own read-only connection (WAL: they never wait for a writer); writes are serialised
/// with every other write of the database. Obtain it from <see cref="SyncDatabase.Status"/>.
/// </summary>
public sealed class SyncStatusView
{
    private const string UpsertOk =
        "INSERT INTO cluster_sync(sync_id, cluster_id, table_name, last_sync_time, sync_state) VALUES ($id, $p, $t, $now, 'ok') "
        + "ON CONFLICT(sync_id) DO UPDATE SET last_sync_time = excluded.last_sync_time, sync_state = 'ok'";

    private static readonly string[] ForgetStatements =
    [
        "DELETE FROM _edgesync_peers WHERE peer = $p",
        "DELETE FROM cluster_sync WHERE cluster_id = $p",
        "DELETE FROM _edgesync_rejections WHERE peer = $p",
    ];

    private readonly Func<SqliteConnection> _openReader;
    private readonly Action<Action<SyncStore>> _write;
    private readonly TimeProvider _time;

    /// <param name="openReader">Opens a read-only connection to the database (throws when it was disposed).</param>
    /// <param name="write">Runs an action on the writer under the database's write lock (throws when it was disposed).</param>
    /// <param name="time">The database's clock.</param>
    internal SyncStatusView(Func<SqliteConnection> openReader, Action<Action<SyncStore>> write, TimeProvider time)
    {
        _openReader = openReader;
        _write = write;
        _time = time;
    }

    /// <summary>The <c>cluster_sync</c> table: last sync per peer and table, by <see cref="SyncStatusEntry.SyncId"/>.</summary>
    public IReadOnlyList<SyncStatusEntry> GetSyncStatus()
    {
        using var c = _openReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sync_id, cluster_id, table_name, coalesce(last_sync_time, 0), coalesce(sync_state, '') FROM cluster_sync ORDER BY sync_id";
        using var r = cmd.ExecuteReader();
        var list = new List<SyncStatusEntry>();
        while (r.Read())
        {
            list.Add(new SyncStatusEntry(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4)));
        }

        return list;
    }

    /// <summary>
    /// Records in <c>cluster_sync</c> that an exchange with <paramref name="peer"/> completed now (every batch it had
    /// was applied, possibly none): every synced table gets the current time and state <c>ok</c>. Like every write of
    /// this view it waits for another connection's write lock as <see cref="SyncDatabase.Apply"/> does, and stops
    /// waiting, with nothing written, when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public void MarkSynced(string peer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Write(store => MarkSynced(store, peer, store.Tables.Select(t => t.Info.Name), now), cancellationToken);
    }

    /// <summary>Sets <c>cluster_sync.sync_state</c> for a peer and table (for example to the last error).</summary>
    public void SetSyncState(string peer, string table, string state, CancellationToken cancellationToken = default) =>
        Write(store => Sql.Scalar(store.Db,
            "INSERT INTO cluster_sync(sync_id, cluster_id, table_name, last_sync_time, sync_state) VALUES ($id, $p, $t, NULL, $s) "
            + "ON CONFLICT(sync_id) DO UPDATE SET sync_state = excluded.sync_state",
            ("$id", $"{peer}/{table}"), ("$p", peer), ("$t", table), ("$s", state)), cancellationToken);

    /// <summary>
    /// Records that <paramref name="peer"/> refused this replica's changes under <paramref name="rule"/> (replacing an
    /// earlier record for that peer), so that <c>edgesync status</c> can show it from the file.
    /// </summary>
    public void RecordRejection(string peer, string rule, string detail, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentException.ThrowIfNullOrWhiteSpace(rule);
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Write(store => Sql.Scalar(store.Db,
            "INSERT INTO _edgesync_rejections(peer, rule, detail, at_ms) VALUES ($p, $r, $d, $at) "
            + "ON CONFLICT(peer) DO UPDATE SET rule = excluded.rule, detail = excluded.detail, at_ms = excluded.at_ms",
            ("$p", peer), ("$r", rule), ("$d", detail ?? ""), ("$at", now)), cancellationToken);
    }

    /// <summary>Forgets the refusal recorded for <paramref name="peer"/> (after it accepted this replica's changes). Cheap when there is none.</summary>
    public void ClearRejection(string peer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        Write(store => Sql.Scalar(store.Db, "DELETE FROM _edgesync_rejections WHERE peer = $p", ("$p", peer)), cancellationToken);
    }

    /// <summary>
    /// Forgets <paramref name="peer"/> (a removed replica, a decommissioned factory): its recorded vector, so log and
    /// tombstone compaction no longer wait for it, its <c>cluster_sync</c> rows and any refusal it recorded, in one
    /// transaction. Returns false when nothing was known about it. A forgotten peer that syncs again is recorded anew;
    /// if this replica compacted past what it holds meanwhile, its pull is refused with
    /// <see cref="Errors.ErrorCode.ResyncRequired"/> (re-seed it from a current replica), never served a partial log.
    /// </summary>
    public bool ForgetPeer(string peer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        long removed = 0;
        _write(writer => writer.InTransaction(store =>
        {
            foreach (var sql in ForgetStatements)
            {
                Sql.Scalar(store.Db, sql, ("$p", peer));
                removed += (long)Sql.Scalar(store.Db, "SELECT changes()")!;
            }
        }, cancellationToken));
        return removed > 0;
    }

    /// <summary>
    /// One bookkeeping write in its own short transaction (synchronous=NORMAL, as SQLite's autocommit would), so the
    /// wait for another connection's write lock honours <paramref name="cancellationToken"/>.
    /// </summary>
    private void Write(Action<SyncStore> write, CancellationToken cancellationToken) =>
        _write(writer => writer.InTransaction(Durability.Bookkeeping, write, cancellationToken));

    /// <summary>The refusals recorded per peer (see <see cref="RecordRejection"/>), by peer.</summary>
    public IReadOnlyList<SyncRejection> GetRejections()
    {
        using var c = _openReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT peer, rule, detail, at_ms FROM _edgesync_rejections ORDER BY peer";
        using var r = cmd.ExecuteReader();
        var list = new List<SyncRejection>();
        while (r.Read())
        {
            list.Add(new SyncRejection(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)));
        }

        return list;
    }

    /// <summary>
    /// For every peer that reported a vector: how many changes it lacks and how old the oldest of them is
    /// (replication lag), computed from <c>_edgesync_peers</c> and the change log.
    /// </summary>
    public IReadOnlyList<PeerBacklog> GetPeerBacklogs()
    {
        VersionVector mine = VersionVector.Empty;
        _write(store => mine = store.VectorAsVersionVector());
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        using var c = _openReader();
        var peers = PeerVectors.Load(c);
        using var oldest = Sql.Prepare(c,
            "SELECT l.hlc FROM _edgesync_log l JOIN _edgesync_sites s ON s.idx = l.site WHERE s.site = $s AND l.seq + max(l.span, 1) - 1 > $q ORDER BY l.seq LIMIT 1",
            "$s", "$q");
        var list = new List<PeerBacklog>();
        foreach (var (peer, theirs) in peers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            long backlog = 0;
            long oldestMs = long.MaxValue;
            foreach (var (site, seq) in mine)
            {
                if (seq <= theirs[site] || site == peer)
                {
                    continue;
                }

                backlog += seq - theirs[site];
                oldest.Set(0, site);
                oldest.Set(1, theirs[site]);
                if (oldest.ExecuteScalar() is long hlc)
                {
                    oldestMs = Math.Min(oldestMs, new Hlc(hlc).Milliseconds);
                }
            }

            var age = oldestMs == long.MaxValue ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(0, now - oldestMs));
            list.Add(new PeerBacklog(peer, backlog, age));
        }

        return list;
    }

    /// <summary>The conflict audit, newest first: at most <paramref name="limit"/> records, of <paramref name="table"/> only when given.</summary>
    public IReadOnlyList<ConflictRecord> GetConflicts(int limit = 1000, string? table = null)
    {
        using var c = _openReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, at_ms, table_name, pk, column_name, rule, winner_value, winner_hlc, winner_site, loser_value, loser_hlc, loser_site "
            + "FROM _edgesync_conflicts WHERE $t IS NULL OR table_name = $t ORDER BY id DESC LIMIT $n";
        cmd.Parameters.AddWithValue("$t", (object?)table ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$n", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<ConflictRecord>();
        while (r.Read())
        {
            list.Add(new ConflictRecord(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetValue(6), new Hlc(r.GetInt64(7)),
                r.GetString(8), r.IsDBNull(9) ? null : r.GetValue(9), new Hlc(r.GetInt64(10)), r.GetString(11)));
        }

        return list;
    }

    /// <summary>When the last successful backup of this database was taken, if ever.</summary>
    public DateTimeOffset? LastBackupAt
    {
        get
        {
            using var c = _openReader();
            return MetaTable.LastBackupAt(c);
        }
    }

    /// <summary>Marks <c>cluster_sync</c> ok at <paramref name="nowMs"/> for <paramref name="peer"/> and each of <paramref name="tables"/>; inside the caller's lock.</summary>
    internal static void MarkSynced(SyncStore store, string peer, IEnumerable<string> tables, long nowMs)
    {
        using var cs = Sql.Prepare(store.Db, UpsertOk, "$id", "$p", "$t", "$now");
        cs.Set(1, peer);
        cs.Set(3, nowMs);
        foreach (var table in tables)
        {
            cs.Set(0, $"{peer}/{table}");
            cs.Set(2, table);
            cs.ExecuteNonQuery();
        }
    }
}
