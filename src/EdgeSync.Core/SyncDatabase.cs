using System.Security.Cryptography;
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
    private readonly EdgeSyncMetrics _metrics;
    private readonly string _name; // the "database" tag of its metrics
    private volatile bool _disposed; // read without the lock by Vector
    private volatile TablesRead? _tablesWhenRead; // Tables as last read under the lock, and the store's TablesVersion then
    private DateTimeOffset _lastAudit;

    private SyncDatabase(string path, SyncStore store, SyncDatabaseOptions options, string readConnectionString)
    {
        Path = path;
        _store = store;
        _options = options;
        _readConnectionString = readConnectionString;
        _metrics = options.Metrics ?? new EdgeSyncMetrics();
        _name = System.IO.Path.GetFileNameWithoutExtension(path);
        Status = new SyncStatusView(OpenReader, WithWriter, options.Time);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>This replica's site id.</summary>
    public string SiteId => _store.SiteId;

    /// <summary>
    /// What this database records about its exchanges with peers: last sync per peer and table, refusals, backlogs,
    /// the conflict audit and the last backup.
    /// </summary>
    public SyncStatusView Status { get; }

    /// <summary>
    /// Opens (and on first use initialises) EdgeSync metadata in the SQLite database at <paramref name="path"/>. Opening
    /// takes the write lock once (to create or upgrade EdgeSync's tables), waiting for another connection's lock up to
    /// <see cref="SyncDatabaseOptions.BusyTimeout"/>; a clock found to have run ahead re-stamps this site's writes first.
    /// Cancelling <paramref name="cancellationToken"/> stops either with <see cref="OperationCanceledException"/> and
    /// nothing opened.
    /// </summary>
    public static SyncDatabase Open(string path, SyncDatabaseOptions? options = null, CancellationToken cancellationToken = default)
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
            store = SyncStore.Open(csb.ToString(), options.SiteId, options.Time, options.BusyTimeout, cancellationToken);
            store.SetBusyTimeout(options.BusyTimeout);
        }
        catch (SqliteException e)
        {
            throw new StorageException(path, e);
        }

        // Readers (extraction, status, checksums) come from Microsoft.Data.Sqlite's pool: a fresh connection parses the
        // whole schema (the application's tables, EdgeSync's and their triggers) at its first statement, and an agent
        // reads for every round. A pooled reader holds no transaction while idle, so it never pins a WAL snapshot and
        // each statement sees the latest commit; Dispose clears the pool so no file stays open after it.
        csb.Mode = SqliteOpenMode.ReadOnly;
        csb.Pooling = true;
        var db = new SyncDatabase(path, store, options, csb.ToString());
        try
        {
            db.ContinueIfClockRanAhead(restoreWithheld: true, cancellationToken);
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

    /// <summary>
    /// The highest sequence held per origin site (this site included), as of the last commit. Does not wait for a
    /// capture or apply in progress: it is the vector that transaction started from, never one it has not committed.
    /// </summary>
    public VersionVector Vector
    {
        get
        {
            ThrowIfDisposed();
            return _store.CommittedVector; // published at each commit, so the many readers (watchers, replies) never queue on the writer's lock
        }
    }

    /// <summary>
    /// The synced tables. While the database is busy (an apply, a capture) and its tables have not changed since they
    /// were last read, that list: an application's ingest reads it at every request and must not queue behind the
    /// writer for it.
    /// </summary>
    public IReadOnlyList<TableInfo> Tables
    {
        get
        {
            ThrowIfDisposed();
            if (!_gate.TryEnter())
            {
                if (_tablesWhenRead is { } known && known.Version == _store.TablesVersion)
                {
                    return known.Tables;
                }

                _gate.Enter();
            }

            try
            {
                ThrowIfDisposed();
                var tables = _store.Tables.Select(t => t.Info).ToList();
                _tablesWhenRead = new(_store.TablesVersion, tables);
                return tables;
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>
    /// Enables sync on an existing table: records it, installs capture triggers, and queues its existing rows as
    /// local inserts. Idempotent for the same policy. Refuses tables sync cannot carry with a
    /// <see cref="SchemaException"/> that says why and what to do.
    /// </summary>
    public TableInfo EnableTable(string table, TablePolicy policy, CancellationToken cancellationToken = default)
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

            _store.Begin(cancellationToken);
            try
            {
                var info = TableCatalog.Add(_store, _store.ReadShape(table), policy);
                TriggerInstaller.Install(_store, info);
                if (info.Mode == CaptureMode.Trigger)
                {
                    TableCatalog.QueueExistingRows(_store, info);
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
    /// Captures (unless another connection holds the write lock, or this database is busy capturing or applying: then
    /// what is sealed so far; call <see cref="Capture"/> first to wait), then streams as bounded batches from one consistent snapshot every change this replica has that a
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
    public IEnumerable<ChangeBatch> GetChanges(VersionVector peerVector, Func<string, bool>? tableFilter, CancellationToken cancellationToken) =>
        GetChangesFor(peerVector, [], tableFilter, cancellationToken);

    /// <summary>
    /// As <see cref="GetChanges(VersionVector, Func{string, bool}, CancellationToken)"/>, for a peer that announced what it
    /// disclaimed (its <see cref="Disclaimed"/>): where it is below this replica's compaction floor only by events it held
    /// and disclaimed, it gets their original row states from this replica's row metadata instead of a
    /// <see cref="ErrorCode.ResyncRequired"/> refusal.
    /// </summary>
    public IEnumerable<ChangeBatch> GetChangesFor(
        VersionVector peerVector, IReadOnlyList<OriginRange> peerDisclaimed, Func<string, bool>? tableFilter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerVector);
        ArgumentNullException.ThrowIfNull(peerDisclaimed);
        ThrowIfDisposed();
        if (peerVector[SiteId] > Vector[SiteId]) // rare, so a pull does not queue on the lock for it: the committed vector is never ahead
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                ContinueIfClockRanAhead(cancellationToken: cancellationToken);
                ReincarnateIfPeerIsAhead(peerVector, cancellationToken);
            }
        }

        // What another writer holds the lock over follows in the next round. Nor does a pull queue behind this database's
        // own lock (a hub serves many pulls while it applies pushes): whoever holds it seals (an apply seals first), and
        // the capture loop seals and announces what is left within milliseconds.
        CaptureAndAudit(wait: false, waitForGate: false, cancellationToken);
        using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        var extractor = new ChangeExtractor(connection, _options.MaxBatchRows, _options.MaxBatchBytes, tableFilter);
        foreach (var batch in extractor.Extract(peerVector, peerDisclaimed))
        {
            cancellationToken.ThrowIfCancellationRequested();
            _metrics.Extracted(_name, batch.RowCount);
            yield return batch;
        }
    }

    /// <summary>
    /// Applies a peer's batch atomically (rows, vector, conflict audit, <c>cluster_sync</c>). Idempotent and
    /// commutative. Throws <see cref="InvalidBatchException"/> or <see cref="SyncStateException"/> with nothing applied.
    /// When given, <paramref name="check"/> runs on the batch inside the apply's write transaction, after this replica's
    /// own pending writes are sealed and before any row of the batch is applied, so the rows it reads
    /// (<see cref="ReadRowState"/>) are the ones the batch merges with and nothing can change them meanwhile; an
    /// exception from it refuses the batch with nothing of it applied (the seal is rolled back with it). Waits for another writer's lock up to <see cref="SyncDatabaseOptions.BusyTimeout"/>, and
    /// stops waiting when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public ApplyResult Apply(ChangeBatch batch, string? fromPeer = null, Action<ChangeBatch>? check = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string peer = fromPeer ?? batch.Sender;
        lock (_gate)
        {
            ThrowIfDisposed();
            try
            {
                ContinueIfClockRanAhead(cancellationToken: cancellationToken);
                ReincarnateIfPeerIsAhead(batch.SenderVector, cancellationToken);
                string site = _store.SiteId;
                var result = new BatchApplier(_store, _options.Time, _options.MaxClockDrift).Apply(batch, peer, check, cancellationToken);
                RestoreWithheldAfterApply();
                ReportSchemaEvents();
                LogIfRetired(site);
                _metrics.Applied(_name, result.Applied, result.Skipped, result.Conflicts);

                Log.BatchApplied(_options.Logger, peer, result.Applied, result.Skipped, result.Conflicts);
                PeersMoved(); // apply recorded the sender's vector
                return result;
            }
            catch (EdgeSyncException e)
            {
                if (e is StorageException storage)
                {
                    _metrics.StorageError(_name, storage.Cause);
                }

                _metrics.Rejected(_name, e.Code.ToString());
                Log.BatchRejected(_options.Logger, peer, e.Code.ToString(), e.Message);
                throw;
            }
        }
    }

    /// <summary>
    /// A peer holding more of this site's changes than this database means the database lost changes it had issued
    /// (an empty replacement volume, an old copy): it continues as the site's next incarnation (see
    /// <see cref="Storage.Reincarnation"/>) before it writes anything that could reuse a sequence number.
    /// </summary>
    private void ReincarnateIfPeerIsAhead(VersionVector peer, CancellationToken cancellationToken)
    {
        if (peer[_store.SiteId] <= _store.Seen(_store.SiteIndex))
        {
            return;
        }

        var previous = _store.SiteId;
        int previousIdx = _store.SiteIndex;
        _store.Begin(cancellationToken);
        try
        {
            Sealer.Seal(_store); // what was written under the old id is clocked before it is re-stamped
            Reincarnation.Run(_store, previousIdx, previous, clockRanAhead: false, MayOriginate(previous), cancellationToken);
            _store.Commit();
        }
        catch (SqliteException e) when (StorageException.IsStorageError(e))
        {
            _store.Rollback();
            throw new StorageException(Path, e);
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
    public CompactionResult Compact(IReadOnlyCollection<string>? requiredPeers = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            CompactionResult result;
            try
            {
                result = Compactor.Compact(_store, requiredPeers ?? [], cancellationToken);
            }
            catch (SqliteException e) when (StorageException.IsStorageError(e))
            {
                var storage = new StorageException(Path, e); // a full or failing disk, typed as capture and apply report it
                _metrics.StorageError(_name, storage.Cause);
                throw storage;
            }

            _metrics.Compacted(_name, result.LogEntries + result.Tombstones);
            if (result.LogEntries + result.Tombstones > 0)
            {
                Log.Compacted(_options.Logger, result.LogEntries, result.Tombstones);
            }

            return result;
        }
    }

    /// <summary>
    /// This replica's current sync state of one row of a synced table (values and clocks in the order of
    /// <see cref="Schema.TableInfo.Columns"/>, or a tombstone), or null when the row was never seen here.
    /// Meant for checks passed to <see cref="Apply"/>.
    /// </summary>
    public RowState? ReadRowState(string table, object?[] key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table);
            if (t is null || key.Length != t.Info.PrimaryKey.Count || key.Any(k => k is null))
            {
                return null;
            }

            return t.LoadState(key, t.StoredKey(key));
        }
    }

    /// <summary>
    /// A canonical SHA-256 over every synced table's rows (ordered by primary key, values with their storage class).
    /// Two replicas holding the same rows return the same checksum. Reads every row from a snapshot of its own (writers
    /// are not blocked); <paramref name="cancellationToken"/> interrupts the read.
    /// </summary>
    public string Checksum(CancellationToken cancellationToken = default)
    {
        // A table whose sync is stopped may not exist any more; the fleet's migration log is EdgeSync's, not the application's.
        var tables = Tables.Where(t => t.Drift is null && !string.Equals(t.Name, PublishedMigrations.LogTable, StringComparison.OrdinalIgnoreCase)).ToList();
        using var c = OpenReader();
        return ReadInterrupt.Run(c, () => Checksum(c, tables), cancellationToken);
    }

    private static string Checksum(SqliteConnection c, List<TableInfo> tables)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var w = new ByteWriter(64 * 1024);
        using var snapshot = c.BeginTransaction(deferred: true);
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
        if (!File.Exists(Path))
        {
            // A pooled reader would go on reading the removed file's inode; a new one fails as an unpooled open did.
            using var stale = new SqliteConnection(_readConnectionString);
            SqliteConnection.ClearPool(stale);
        }

        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        EndReadTransaction(c); // a pooled reader that came back inside a raw BEGIN must not read from its old snapshot
        return c;
    }

    /// <summary>Ends a read transaction begun with a raw <c>BEGIN</c>, if one is open (closing a pooled connection does not).</summary>
    private static void EndReadTransaction(SqliteConnection c)
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(c.Handle) == 0)
        {
            Internal.Sql.Exec(c, "ROLLBACK");
        }
    }

    private void WithWriter(Action<SyncStore> action)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            action(_store);
        }
    }

    /// <summary>Test hook: <paramref name="observer"/> sees every commit of the writer connection (see <see cref="SyncStore.CommitObserver"/>).</summary>
    internal void ObserveCommits(Action<CommitRecord>? observer)
    {
        lock (_gate)
        {
            _store.CommitObserver = observer;
        }
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
            StopPeerQueue();
            using (var reader = new SqliteConnection(_readConnectionString))
            {
                SqliteConnection.ClearPool(reader); // idle readers close now, busy ones when they are returned
            }

            _store.Dispose();
            if (_options.Metrics is null)
            {
                _metrics.Dispose(); // the private one this database created
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record TablesRead(int Version, IReadOnlyList<TableInfo> Tables);
}
