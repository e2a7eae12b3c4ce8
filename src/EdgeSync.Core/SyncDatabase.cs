using System.Security.Cryptography;
using System.Text.Json;
using EdgeSync.Apply;
using EdgeSync.Backup;
using EdgeSync.Capture;
using EdgeSync.Clocks;
using EdgeSync.Compaction;
using EdgeSync.Diagnostics;
using EdgeSync.Errors;
using EdgeSync.Extract;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

/// <summary>
/// One SQLite database with EdgeSync enabled: the entry point of the engine. Enable sync on tables, capture what any
/// process wrote, extract what a peer lacks, apply what a peer sent, compact, and read the audit and sync state.
/// Writes are serialised on one writer connection (thread-safe); extraction reads its own WAL snapshot.
/// </summary>
public sealed partial class SyncDatabase : IDisposable, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly SyncStore _store;
    private readonly SyncDatabaseOptions _options;
    private readonly string _readConnectionString;
    private bool _disposed;
    private DateTimeOffset _lastAudit;

    private SyncDatabase(string path, SyncStore store, SyncDatabaseOptions options, string readConnectionString)
    {
        Path = path;
        _store = store;
        _options = options;
        _readConnectionString = readConnectionString;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>This replica's site id.</summary>
    public string SiteId => _store.SiteId;

    /// <summary>Opens (and on first use initialises) EdgeSync metadata in the SQLite database at <paramref name="path"/>.</summary>
    public static SyncDatabase Open(string path, SyncDatabaseOptions? options = null)
    {
        options ??= new SyncDatabaseOptions();
        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = (int)Math.Max(1, options.BusyTimeout.TotalSeconds),
        };
        SyncStore store;
        try
        {
            store = SyncStore.Open(csb.ToString(), options.SiteId, options.Time);
            Sql.Exec(store.Db, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
        }
        catch (SqliteException e)
        {
            throw new StorageException(path, e);
        }

        csb.Mode = SqliteOpenMode.ReadOnly;
        var db = new SyncDatabase(path, store, options, csb.ToString());
        try
        {
            db.ContinueIfClockRanAhead();
        }
        catch
        {
            db.Dispose();
            throw;
        }

        Log.Opened(options.Logger, path, store.SiteId, store.Tables.Count());
        return db;
    }

    /// <summary>
    /// Takes an online backup to <paramref name="destinationPath"/> while writes go on (see <see cref="DatabaseBackup"/>).
    /// Restore it with <see cref="DatabaseBackup.Restore"/>; the restored replica continues as the site's next incarnation.
    /// </summary>
    public BackupResult Backup(string destinationPath, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return DatabaseBackup.Create(Path, destinationPath, progress, _options.Time, cancellationToken);
    }

    /// <summary>When the last successful backup of this database was taken, if ever.</summary>
    public DateTimeOffset? LastBackupAt
    {
        get
        {
            using var c = OpenReader();
            return Sql.Scalar(c, "SELECT value FROM _edgesync_meta WHERE key = 'last_backup_ms'") is long ms
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
        }
    }

    /// <summary>The highest sequence held per origin site (this site included).</summary>
    public VersionVector Vector
    {
        get
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                return _store.VectorAsVersionVector();
            }
        }
    }

    /// <summary>The synced tables.</summary>
    public IReadOnlyList<TableInfo> Tables
    {
        get
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                return _store.Tables.Select(t => t.Info).ToList();
            }
        }
    }

    /// <summary>
    /// Enables sync on an existing table: records it, installs capture triggers, and queues its existing rows as
    /// local inserts. Idempotent for the same policy. Refuses tables sync cannot carry with a
    /// <see cref="SchemaException"/> that says why and what to do.
    /// </summary>
    public TableInfo EnableTable(string table, TablePolicy policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_store.FindTable(table) is { } existing)
            {
                return existing.Info.Policy == policy ? existing.Info : throw new SchemaException(ErrorCode.TableNotSupported, table,
                    $"table '{table}' is already synced with policy '{existing.Info.Policy.ToName()}'; changing the policy of a synced table is not supported");
            }

            _store.Begin();
            try
            {
                var shape = SchemaReader.Read(_store.Db, table);
                int tid = (int)(long)Sql.Scalar(_store.Db, "SELECT coalesce(max(tid), 0) + 1 FROM _edgesync_tables")!;
                var info = new TableInfo(shape.Name, tid, policy, shape.Mode, shape.Columns, shape.PrimaryKey);
                Sql.Scalar(_store.Db,
                    "INSERT INTO _edgesync_tables(tid, name, policy, mode, columns, pk, wm) VALUES ($t, $n, $p, $m, $c, $k, 0)",
                    ("$t", (long)tid), ("$n", shape.Name), ("$p", policy.ToName()), ("$m", shape.Mode.ToName()),
                    ("$c", JsonSerializer.Serialize(shape.Columns)), ("$k", JsonSerializer.Serialize(shape.PrimaryKey)));
                TriggerInstaller.Install(_store.Db, info);
                if (info.Mode == CaptureMode.Trigger)
                {
                    var slots = string.Join(", ", info.PrimaryKey.Select((_, i) => $"k{i}"));
                    var cols = string.Join(", ", info.PrimaryKey.Select(i => Sql.Quote(info.Columns[i])));
                    Sql.Exec(_store.Db, $"INSERT INTO _edgesync_pending(tid, op, mask, {slots}) SELECT {tid}, 1, -1, {cols} FROM {Sql.Quote(info.Name)}");
                }

                _store.Commit();
                _store.AddTable(info);
                Log.TableEnabled(_options.Logger, info.Name, policy.ToName(), info.Mode.ToName());
                return info;
            }
            catch
            {
                _store.Rollback();
                throw;
            }
        }
    }

    /// <summary>
    /// Captures (unless another connection holds the write lock: then what is sealed so far; call <see cref="Capture"/>
    /// first to wait), then streams as bounded batches from one consistent snapshot every change this replica has that a
    /// peer with <paramref name="peerVector"/> lacks. Enumerate lazily; memory stays at one batch. After applying
    /// each batch the peer's vector is <see cref="ChangeBatch.Advance"/>d, so an interrupted stream resumes where it
    /// stopped. A row some process changed after the capture ends its origin's range; it follows next time.
    /// </summary>
    public IEnumerable<ChangeBatch> GetChanges(VersionVector peerVector, CancellationToken cancellationToken = default) =>
        GetChanges(peerVector, tableFilter: null, cancellationToken);

    /// <summary>
    /// As <see cref="GetChanges(VersionVector, CancellationToken)"/>, but the changes of tables for which
    /// <paramref name="tableFilter"/> is false are not read at all; the batches' ranges still cover them, so the peer's
    /// vector passes them. Use it only for changes the peer must never hold (table directions).
    /// </summary>
    public IEnumerable<ChangeBatch> GetChanges(VersionVector peerVector, Func<string, bool>? tableFilter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peerVector);
        lock (_gate)
        {
            ThrowIfDisposed();
            ContinueIfClockRanAhead();
            ReincarnateIfPeerIsAhead(peerVector);
        }

        CaptureAndAudit(wait: false); // what another writer holds the lock over follows in the next round
        using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        var extractor = new ChangeExtractor(connection, _options.MaxBatchRows, _options.MaxBatchBytes, tableFilter);
        foreach (var batch in extractor.Extract(peerVector))
        {
            cancellationToken.ThrowIfCancellationRequested();
            EdgeSyncMetrics.ChangesExtracted.Add(batch.RowCount);
            yield return batch;
        }
    }

    /// <summary>
    /// Applies a peer's batch atomically (rows, vector, conflict audit, <c>cluster_sync</c>). Idempotent and
    /// commutative. Throws <see cref="InvalidBatchException"/> or <see cref="SyncStateException"/> with nothing applied.
    /// </summary>
    public ApplyResult Apply(ChangeBatch batch, string? fromPeer = null) => Apply(batch, fromPeer, check: null);

    /// <summary>
    /// Applies a peer's batch like <see cref="Apply(ChangeBatch, string?)"/>, after running <paramref name="check"/> on
    /// it under the writer lock, so nothing can change the rows the check reads (<see cref="ReadRowState"/>) before the
    /// batch is applied. An exception from the check refuses the batch with nothing of it applied.
    /// </summary>
    public ApplyResult Apply(ChangeBatch batch, string? fromPeer, Action<ChangeBatch>? check)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string peer = fromPeer ?? batch.Sender;
        lock (_gate)
        {
            ThrowIfDisposed();
            check?.Invoke(batch);
            try
            {
                ContinueIfClockRanAhead();
                ReincarnateIfPeerIsAhead(batch.SenderVector);
                string site = _store.SiteId;
                var result = new BatchApplier(_store, _options.Time, _options.MaxClockDrift).Apply(batch, peer);
                LogIfRetired(site);
                EdgeSyncMetrics.BatchesApplied.Add(1);
                EdgeSyncMetrics.ChangesApplied.Add(result.Applied);
                EdgeSyncMetrics.ChangesSkipped.Add(result.Skipped);
                if (result.Conflicts > 0)
                {
                    EdgeSyncMetrics.Conflicts.Add(result.Conflicts);
                }

                Log.BatchApplied(_options.Logger, peer, result.Applied, result.Skipped, result.Conflicts);
                return result;
            }
            catch (EdgeSyncException e)
            {
                if (e is StorageException storage)
                {
                    EdgeSyncMetrics.StorageErrors.Add(1, new KeyValuePair<string, object?>("cause", storage.Cause));
                }

                EdgeSyncMetrics.BatchesRejected.Add(1, new KeyValuePair<string, object?>("code", e.Code.ToString()));
                Log.BatchRejected(_options.Logger, peer, e.Code.ToString(), e.Message);
                throw;
            }
        }
    }

    /// <summary>Records that <paramref name="peer"/> holds at least <paramref name="vector"/> (from a handshake or an acknowledgement).</summary>
    public void RecordPeerVector(string peer, VersionVector vector)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentNullException.ThrowIfNull(vector);
        lock (_gate)
        {
            ThrowIfDisposed();
            ReincarnateIfPeerIsAhead(vector);
            PeerVectors.Raise(_store.Db, peer, vector);
        }
    }

    /// <summary>
    /// A peer holding more of this site's changes than this database means the database lost changes it had issued
    /// (an empty replacement volume, an old copy): it continues as the site's next incarnation (see
    /// <see cref="Storage.Reincarnation"/>) before it writes anything that could reuse a sequence number.
    /// </summary>
    private void ReincarnateIfPeerIsAhead(VersionVector peer)
    {
        if (peer[_store.SiteId] <= _store.Seen(_store.SiteIndex))
        {
            return;
        }

        var previous = _store.SiteId;
        _store.Begin();
        try
        {
            Reincarnation.Run(_store);
            _store.Commit();
        }
        catch
        {
            _store.Rollback();
            throw;
        }

        Log.Reincarnated(_options.Logger, previous, _store.SiteId, peer[previous]);
    }

    /// <summary>
    /// Drops log entries and tombstones every known peer already has. <paramref name="requiredPeers"/> lists peers
    /// that must be waited for even if they never reported a vector (configured but not yet seen).
    /// </summary>
    public CompactionResult Compact(IReadOnlyCollection<string>? requiredPeers = null)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var result = Compactor.Compact(_store, requiredPeers ?? []);
            EdgeSyncMetrics.Compacted.Add(result.LogEntries + result.Tombstones);
            if (result.LogEntries + result.Tombstones > 0)
            {
                Log.Compacted(_options.Logger, result.LogEntries, result.Tombstones);
            }

            return result;
        }
    }

    /// <summary>
    /// Records in <c>cluster_sync</c> that an exchange with <paramref name="peer"/> completed now (every batch it had
    /// was applied, possibly none): every synced table gets the current time and state <c>ok</c>.
    /// </summary>
    public void MarkSynced(string peer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        lock (_gate)
        {
            ThrowIfDisposed();
            long now = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var t in _store.Tables)
            {
                Sql.Scalar(_store.Db,
                    "INSERT INTO cluster_sync(sync_id, cluster_id, table_name, last_sync_time, sync_state) VALUES ($id, $p, $t, $now, 'ok') "
                    + "ON CONFLICT(sync_id) DO UPDATE SET last_sync_time = excluded.last_sync_time, sync_state = 'ok'",
                    ("$id", $"{peer}/{t.Info.Name}"), ("$p", peer), ("$t", t.Info.Name), ("$now", now));
            }
        }
    }

    /// <summary>Sets <c>cluster_sync.sync_state</c> for a peer and table (for example to the last error).</summary>
    public void SetSyncState(string peer, string table, string state)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            Sql.Scalar(_store.Db,
                "INSERT INTO cluster_sync(sync_id, cluster_id, table_name, last_sync_time, sync_state) VALUES ($id, $p, $t, NULL, $s) "
                + "ON CONFLICT(sync_id) DO UPDATE SET sync_state = excluded.sync_state",
                ("$id", $"{peer}/{table}"), ("$p", peer), ("$t", table), ("$s", state));
        }
    }

    /// <summary>The conflict audit, newest first.</summary>
    public IReadOnlyList<ConflictRecord> GetConflicts(int limit = 1000, string? table = null)
    {
        using var c = OpenReader();
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

    /// <summary>The <c>cluster_sync</c> table: last sync per peer and table.</summary>
    public IReadOnlyList<SyncStatusEntry> GetSyncStatus()
    {
        using var c = OpenReader();
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
    /// For every peer that reported a vector: how many changes it lacks and how old the oldest of them is
    /// (replication lag), computed from <c>_edgesync_peers</c> and the change log.
    /// </summary>
    public IReadOnlyList<PeerBacklog> GetPeerBacklogs()
    {
        var mine = Vector;
        long now = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
        using var c = OpenReader();
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

    /// <summary>
    /// A canonical SHA-256 over every synced table's rows (ordered by primary key, values with their storage class).
    /// Two replicas holding the same rows return the same checksum.
    /// </summary>
    public string Checksum()
    {
        var tables = Tables;
        using var c = OpenReader();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var w = new ByteWriter(64 * 1024);
        foreach (var t in tables.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            w.WriteString(t.Name);
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT {string.Join(", ", t.Columns.Select(Sql.Quote))} FROM {Sql.Quote(t.Name)} "
                + $"ORDER BY {string.Join(", ", t.PrimaryKey.Select(i => Sql.Quote(t.Columns[i])))}";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                for (int i = 0; i < t.Columns.Count; i++)
                {
                    w.WriteValue(r.IsDBNull(i) ? null : r.GetValue(i));
                }

                if (w.Length > 60 * 1024)
                {
                    hash.AppendData(w.WrittenSpan);
                    w.Clear();
                }
            }
        }

        hash.AppendData(w.WrittenSpan);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private SqliteConnection OpenReader()
    {
        ThrowIfDisposed();
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _store.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
