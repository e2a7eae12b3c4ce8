using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using EdgeSync.Capture;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Schema;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

/// <summary>Schema evolution: what changed, what is carried, migrations run through EdgeSync (docs/schema.md).</summary>
public sealed partial class SyncDatabase
{
    private readonly HashSet<(string Table, string Reason)> _reportedDrift = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _migrationErrors = new(StringComparer.Ordinal);
    private (long DataVersion, string Vector, long LocalWrites) _migrationInputs = (-1, "", -1);

    // Writes to the migration log or the gate through this object: they do not move the writer's own data_version.
    private long _localMigrationWrites;
    private IReadOnlyList<PublishedMigration> _lastPublished = [];

    /// <summary>
    /// Takes any schema change of the synced tables made since the last capture, whatever process made it (what every
    /// capture does first), and returns each synced table's schema as sync sees it. Writes only when something changed.
    /// </summary>
    public IReadOnlyList<TableSchemaStatus> CheckSchema(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _store.InTransaction(store =>
            {
                SchemaSync.Check(store);
            }, cancellationToken);

            ReportSchemaEvents();
        }

        return GetSchemaStatus();
    }

    /// <summary>Each synced table's schema version, drift and columns kept aside, as last checked (no check now).</summary>
    public IReadOnlyList<TableSchemaStatus> GetSchemaStatus()
    {
        List<TableInfo> tables;
        List<(int Tid, string Column, string Type, long Count)> stash;
        using (var reader = OpenReader())
        {
            tables = TableCatalog.Load(reader);
            stash = StashStore.Summary(reader);
        }

        return tables.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new TableSchemaStatus(
            t.Name, t.SchemaVersion, t.Columns, t.Drift,
            stash.Where(s => s.Tid == t.Id).Select(s => new StashedColumn(s.Column, s.Type, t.DeclaredTypeOf(s.Column), s.Count)).ToList())).ToList();
    }

    /// <summary>
    /// Runs a schema migration (SQL statements, without BEGIN or COMMIT) in one write transaction with capture, so
    /// no write is missed and it is never half-applied: every change made before it is captured first, then the SQL runs
    /// (capture triggers are set aside for statements they would block, such as DROP COLUMN), then the schema change is
    /// taken and capture installed again before the commit. A migration is recorded by name: the same name and contents
    /// again is a no-op, the same name with other contents is refused. A failure rolls everything back and throws a
    /// <see cref="SchemaException"/> (<see cref="ErrorCode.MigrationFailed"/>) saying why.
    /// </summary>
    public MigrationResult ApplyMigration(string name, string sql, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
        lock (_gate)
        {
            ThrowIfDisposed();
            _store.Begin(cancellationToken);
            try
            {
                if (MigrationLog.Find(_store, name) is { } applied)
                {
                    _store.Rollback();
                    return applied == sha
                        ? new MigrationResult(name, true, GetSchemaStatus())
                        : throw new SchemaException(ErrorCode.MigrationFailed, name,
                            $"a migration named '{name}' was already applied here with other contents; give a changed migration a new name");
                }

                Sealer.Seal(_store); // everything written before the migration is captured under the old schema
                RunMigrationSql(sql);
                Sealer.Seal(_store); // takes the schema change (triggers back in place) and captures what the migration wrote
                MigrationLog.Add(_store, name, sha, _options.Time.GetUtcNow().ToUnixTimeMilliseconds());
                _store.Commit();
            }
            catch (SqliteException e) when (!StorageException.IsStorageError(e))
            {
                _store.Rollback();
                throw new SchemaException(ErrorCode.MigrationFailed, name,
                    $"migration '{name}' failed and was rolled back; nothing of it was applied: {e.Message}");
            }
            catch
            {
                _store.Rollback();
                throw;
            }

            ReportSchemaEvents();
        }

        return new MigrationResult(name, false, GetSchemaStatus());
    }

    /// <summary>Runs the migration; when a capture trigger blocks a statement (SQLite refuses to drop a column a trigger names), again without them.</summary>
    private void RunMigrationSql(string sql)
    {
        _store.Execute("SAVEPOINT edgesync_migration");
        try
        {
            _store.Execute(sql);
        }
        catch (SqliteException e) when (e.Message.Contains("_edgesync_", StringComparison.Ordinal))
        {
            _store.Execute("ROLLBACK TO edgesync_migration");
            foreach (var t in _store.Tables)
            {
                TriggerInstaller.Drop(_store, t.Info);
            }

            _store.Execute(sql);
        }

        _store.Execute("RELEASE edgesync_migration");
    }

    /// <summary>
    /// Disables sync on a table: forgets its sync metadata and removes its capture triggers; the table and its rows stay
    /// as they are (if it still exists). For a table dropped for good (<see cref="SchemaDrift"/> "dropped"), or one the
    /// application no longer wants synced. Other replicas keep their copy; enable it again to sync it afresh.
    /// </summary>
    public void ForgetTable(string table, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table) ?? throw new SchemaException(ErrorCode.NotEnabled, table,
                $"table '{table}' is not synced here; 'edgesync schema show' lists the synced tables");
            _store.Begin(cancellationToken);
            try
            {
                TriggerInstaller.Drop(_store, t.Info);
                TableCatalog.Forget(_store, t.Info.Id);
                _store.Commit();
                _store.RemoveTable(t.Info.Id);
            }
            catch
            {
                _store.Rollback();
                throw;
            }

            foreach (var reason in _reportedDrift.Where(d => string.Equals(d.Table, table, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                _metrics.SchemaDrift(_name, reason.Table, reason.Reason, false);
                _reportedDrift.Remove(reason);
            }
        }
    }

    /// <summary>
    /// Creates the fleet's migration log (<c>edgesync_migrations</c>, synced <c>lww</c>: HQ publishes, it flows down like
    /// configuration) and the application's gate (<c>edgesync_schema_gate</c>, local) when missing. Idempotent.
    /// </summary>
    public void EnableMigrationLog(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _store.InTransaction(store =>
            {
                PublishedMigrations.Create(store);
            }, cancellationToken);
        }

        EnableTable(PublishedMigrations.LogTable, TablePolicy.Lww, cancellationToken);
    }

    /// <summary>Publishes a migration to the fleet's log (at HQ): every replica runs it once its application's gate reaches <paramref name="gate"/>.</summary>
    public void PublishMigration(string name, string sql, long gate = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentOutOfRangeException.ThrowIfNegative(gate);
        EnableMigrationLog(cancellationToken);
        WithWriter(store => PublishedMigrations.Publish(store, name, sql, gate, _options.Time.GetUtcNow().ToUnixTimeMilliseconds()));
        Interlocked.Increment(ref _localMigrationWrites); // a write on this connection does not move its own data_version
    }

    /// <summary>Sets the application's gate: published migrations up to <paramref name="allow"/> may run here.</summary>
    public void SetSchemaGate(long allow, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(allow);
        EnableMigrationLog(cancellationToken);
        WithWriter(store => PublishedMigrations.SetGate(store, allow));
        Interlocked.Increment(ref _localMigrationWrites);
    }

    /// <summary>
    /// Runs every published migration the gate allows that has not run here, in order (gate, then name), each with
    /// <see cref="ApplyMigration"/> (all or nothing). A failure stops the ones after it and is returned (also by
    /// <see cref="GetPublishedMigrations"/>); it is tried again when its contents change or at the next call.
    /// </summary>
    public IReadOnlyList<PublishedMigration> ApplyPublishedMigrations(CancellationToken cancellationToken = default) =>
        ApplyPublishedMigrations(MigrationInputs(wait: true)!.Value, cancellationToken);

    /// <summary>
    /// As <see cref="ApplyPublishedMigrations(CancellationToken)"/>, but returns false at once, with nothing run and
    /// <paramref name="migrations"/> null, while this database is busy (applying a batch, capturing): for a caller that
    /// checks again soon and must not hold a thread meanwhile. On a busy agent, every database's periodic check spun and
    /// then blocked on the lock behind an apply (a stack dump of the 151-agent demo found 33 threads spinning there).
    /// </summary>
    public bool TryApplyPublishedMigrations([NotNullWhen(true)] out IReadOnlyList<PublishedMigration>? migrations, CancellationToken cancellationToken = default)
    {
        if (MigrationInputs(wait: false) is not { } seen)
        {
            migrations = null;
            return false;
        }

        migrations = ApplyPublishedMigrations(seen, cancellationToken);
        return true;
    }

    private IReadOnlyList<PublishedMigration> ApplyPublishedMigrations((long DataVersion, string Vector, long LocalWrites) seen, CancellationToken cancellationToken)
    {
        // The agent calls this every couple of seconds for every database: when no other process committed (the gate is
        // the application's write) and no batch arrived (the log comes by sync), nothing can be due, and a reader is not
        // opened. A failed migration is tried again at every call.
        if (seen == _migrationInputs && _migrationErrors.IsEmpty)
        {
            return _lastPublished;
        }

        List<(string Name, string Sql, long Gate)> published;
        long allow;
        using (var reader = OpenReader())
        {
            published = PublishedMigrations.All(reader);
            allow = PublishedMigrations.Gate(reader);
        }

        var applied = GetMigrations().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var m in published.Where(m => m.Gate <= allow && !applied.Contains(m.Name)))
        {
            try
            {
                ApplyMigration(m.Name, m.Sql, cancellationToken);
                _migrationErrors.TryRemove(m.Name, out _);
            }
            catch (SchemaException e)
            {
                _migrationErrors[m.Name] = e.Message;
                break; // later migrations may depend on this one
            }
        }

        _lastPublished = GetPublishedMigrations();
        // What this pass read is at least as new as `seen` (taken before it): a write after that moves the inputs, and
        // the next call reads again. (Taking the inputs here instead lost a gate set while the pass ran.)
        _migrationInputs = seen;
        return _lastPublished;
    }

    /// <summary>What published migrations depend on, cheaply: other connections' commits (<c>PRAGMA data_version</c> on the writer), the vector, and this object's own writes to the log or the gate.</summary>
    private (long DataVersion, string Vector, long LocalWrites)? MigrationInputs(bool wait)
    {
        long local = Interlocked.Read(ref _localMigrationWrites);
        if (wait)
        {
            _gate.Enter();
        }
        else if (!_gate.TryEnter())
        {
            return null;
        }

        try
        {
            ThrowIfDisposed();
            return (_store.DataVersion(), _store.VectorAsVersionVector().ToString(), local);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The fleet's published migrations and where each stands here.</summary>
    public IReadOnlyList<PublishedMigration> GetPublishedMigrations()
    {
        List<(string Name, string Sql, long Gate)> published;
        long allow;
        using (var reader = OpenReader())
        {
            published = PublishedMigrations.All(reader);
            allow = PublishedMigrations.Gate(reader);
        }

        var applied = GetMigrations().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        return published.Select(m => new PublishedMigration(m.Name, m.Gate,
            applied.Contains(m.Name) ? "applied" : _migrationErrors.ContainsKey(m.Name) ? "failed" : m.Gate > allow ? "waiting" : "pending",
            _migrationErrors.GetValueOrDefault(m.Name))).ToList();
    }

    /// <summary>The migrations applied here through <see cref="ApplyMigration"/>, oldest first.</summary>
    public IReadOnlyList<(string Name, string Sha256, DateTimeOffset AppliedAt)> GetMigrations()
    {
        using var reader = OpenReader();
        return MigrationLog.All(reader).Select(m => (m.Name, m.Sha256, DateTimeOffset.FromUnixTimeMilliseconds(m.AtMs))).ToList();
    }

    /// <summary>Logs and counts the schema changes the last committed transaction took; call under the gate after a commit.</summary>
    private void ReportSchemaEvents()
    {
        if (_store.SchemaEvents.Count == 0 && !_store.StashTouched)
        {
            return;
        }

        foreach (var e in _store.SchemaEvents)
        {
            var t = e.Table;
            if (e.Drift is { } drift)
            {
                Log.SchemaDrift(_options.Logger, t.Name, drift.Change, drift.Detail, drift.Remedy);
                _metrics.SchemaDrift(_name, t.Name, drift.Change, true);
                _reportedDrift.Add((t.Name, drift.Change));
                continue;
            }

            foreach (var reason in _reportedDrift.Where(d => d.Table == t.Name && d.Reason != "type-conflict").ToList())
            {
                _metrics.SchemaDrift(_name, t.Name, reason.Reason, false);
                _reportedDrift.Remove(reason);
                Log.SchemaDriftResolved(_options.Logger, t.Name, t.SchemaVersion);
            }

            if (e.Reinstalled)
            {
                Log.TriggersReinstalled(_options.Logger, t.Name, e.MissedWrites);
            }

            if (e.TriggersUpdated)
            {
                Log.TriggersUpdated(_options.Logger, t.Name, e.MissedWrites);
            }

            if (e.Added.Count > 0 || e.Dropped.Count > 0 || e.Retyped.Count > 0)
            {
                Log.SchemaChanged(_options.Logger, t.Name, t.SchemaVersion, string.Join(", ", e.Added), string.Join(", ", e.Dropped), string.Join(", ", e.Retyped));
                _metrics.SchemaChanged(_name, t.Name);
            }

            if (e.StashApplied > 0)
            {
                Log.StashApplied(_options.Logger, t.Name, e.StashApplied, string.Join(", ", e.Added));
            }
        }

        _store.SchemaEvents.Clear();
        _store.StashTouched = false;
        ReportTypeConflicts();
    }

    private void ReportTypeConflicts()
    {
        var conflicts = GetSchemaStatus().SelectMany(t => t.Stashed.Where(s => s.TypeConflict).Select(s => (t.Table, s))).ToList();
        foreach (var (table, s) in conflicts)
        {
            if (_reportedDrift.Add((table, "type-conflict")))
            {
                Log.TypeConflict(_options.Logger, table, s.Column, s.LocalType!, s.PeerType);
                _metrics.SchemaDrift(_name, table, "type-conflict", true);
            }
        }

        foreach (var gone in _reportedDrift.Where(d => d.Reason == "type-conflict" && !conflicts.Any(c => c.Table == d.Table)).ToList())
        {
            _reportedDrift.Remove(gone);
            _metrics.SchemaDrift(_name, gone.Table, "type-conflict", false);
        }
    }
}
