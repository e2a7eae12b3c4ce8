using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// The writer side of one database: the single writer connection, the site registry, the clock, the synced tables
/// and the cached version vector. Callers serialise access and wrap work in <see cref="Begin(Durability, CancellationToken)"/> /
/// <see cref="Commit"/>; a rollback restores every cached value to what is committed. A transaction commits with
/// <c>synchronous=FULL</c> only when it issues sequence numbers or changes the site's identity (<see cref="Durability"/>);
/// the rest, and writes outside a transaction, use NORMAL.
/// </summary>
internal sealed partial class SyncStore : IDisposable
{
    private readonly string _session = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private Dictionary<int, long> _vectorSnapshot = [];
    private bool _inTransaction;
    private bool _sessionClaimed;
    private bool _claimUncommitted; // claimed in the open transaction: a rollback undoes the mark, so the claim too
    private bool _sessionShared;    // another EdgeSync session holds the file's writer lock: this one neither claims nor clears the mark
    private FileStream? _writerLock;
    private VersionVector _committedVector = VersionVector.Empty;
    private Durability _synchronous = Durability.Full; // the connection's synchronous setting: Full or Bookkeeping
    private bool _issued; // the open transaction allocated sequence numbers
    private Hlc _storedHlc; // the clock value _edgesync_meta holds

    private SyncStore(SqliteConnection db, string siteId, HybridClock clock)
    {
        Db = db;
        SiteId = siteId;
        Clock = clock;
        _storedHlc = clock.Last;
    }

    public SqliteConnection Db { get; }

    /// <summary>The database file (for messages).</summary>
    public string DataSource => Db.DataSource;

    public SiteRegistry Sites { get; } = new();

    public HybridClock Clock { get; }

    public string SiteId { get; private set; }

    public int SiteIndex { get; private set; }

    /// <summary>Local site index → highest sequence held. Includes this site (its last issued sequence).</summary>
    public Dictionary<int, long> Vector { get; private set; } = [];

    /// <summary>Local site index → compaction floor (log entries at or below it are gone).</summary>
    public Dictionary<int, long> Floor { get; } = [];

    /// <summary>The database's <c>PRAGMA schema_version</c> now: it moves with every schema change, by any process.</summary>
    internal long SchemaCookie() => (long)Sql.Scalar(Db, "PRAGMA schema_version")!;

    /// <summary><c>PRAGMA schema_version</c> when the synced tables' shapes were last checked (-1: not yet).</summary>
    internal long CheckedSchemaCookie { get; set; } = -1;

    /// <summary>Schema changes found by the open transaction, for the caller to report once it commits.</summary>
    internal List<SchemaEvent> SchemaEvents { get; } = [];

    /// <summary>Set when an apply kept values aside for columns a table does not take (for the caller to report).</summary>
    internal bool StashTouched { get; set; }

    /// <summary>
    /// The earliest original HLC among the clocks withheld here (<see cref="Reincarnation.WithheldDue"/>), as last read
    /// or written; null: not read yet, <see cref="long.MaxValue"/>: none.
    /// </summary>
    internal long? WithheldDue { get; set; }

    /// <summary>
    /// Opens the writer connection and, in one write transaction, creates or upgrades EdgeSync's tables and loads the
    /// site, vector and tables. Waits up to <paramref name="busyTimeout"/> for another connection's write lock;
    /// <see cref="OperationCanceledException"/> as soon as <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static SyncStore Open(string connectionString, string? siteId, TimeProvider time, TimeSpan busyTimeout, CancellationToken cancellationToken)
    {
        var db = new SqliteConnection(connectionString);
        try
        {
            db.Open();
            // FULL while opening (it may write the site id); then NORMAL between transactions (see Durability).
            Sql.Exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;");
            WriteLock.Begin(db, busyTimeout, cancellationToken);
            MetadataSchema.Create(db);
            var stored = Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'site_id'") as string;
            if (stored is null)
            {
                if (string.IsNullOrWhiteSpace(siteId))
                {
                    throw new ArgumentValidationException(
                        "this database has no EdgeSync site id yet; pass one (for example 'factory-001/sqlite-edge-0') the first time it is opened");
                }

                ValidateSiteId(siteId);
                Sql.Scalar(db, "INSERT INTO _edgesync_meta(key, value) VALUES ('site_id', $s), ('schema_version', $v)",
                    ("$s", siteId), ("$v", (long)MetadataSchema.Version));
                stored = siteId;
            }
            else if (siteId is not null && !string.Equals(siteId, SiteIncarnation.BaseOf(stored), StringComparison.Ordinal)
                && !string.Equals(siteId, stored, StringComparison.Ordinal))
            {
                throw new ArgumentValidationException(
                    $"this database belongs to site '{stored}', not '{siteId}'; open it without a site id or with '{SiteIncarnation.BaseOf(stored)}'");
            }

            if (Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'restore_pending'") is not null)
            {
                // A restored backup (or any copy of one): never issue sequence numbers the old incarnation may have used.
                var previous = stored;
                stored = SiteIncarnation.Next(stored);
                Sql.Scalar(db, "UPDATE _edgesync_meta SET value = $s WHERE key = 'site_id'", ("$s", stored));
                Sql.Scalar(db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('restored_from', $p)", ("$p", previous));
                Sql.Exec(db, "DELETE FROM _edgesync_meta WHERE key IN ('restore_pending', 'writer_session')");
            }

            var lastHlc = Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'hlc'") as long? ?? 0;
            var store = new SyncStore(db, stored, new HybridClock(new Hlc(lastHlc), time));
            store.Sites.Load(db);
            store.SiteIndex = store.Sites.GetOrAdd(db, stored);
            store.LoadVector();
            store.LoadTables();
            Sql.Exec(db, "COMMIT");
            store.SetSynchronous(Durability.Bookkeeping);
            return store;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    internal static void ValidateSiteId(string siteId)
    {
        if (siteId.Length > 200 || siteId.Any(char.IsControl) || siteId != siteId.Trim() || siteId.Contains(SiteIncarnation.Separator))
        {
            throw new ArgumentValidationException(
                $"site id '{siteId}' is not valid: use at most 200 printable characters, no '~' (reserved for restored incarnations), "
                + "without leading or trailing spaces");
        }
    }

    private void LoadVector()
    {
        Vector = VectorRecords.ReadVector(Db);
        Floor.Clear();
        foreach (var (site, seq) in VectorRecords.ReadFloor(Db))
        {
            Floor[site] = seq;
        }

        PublishVector();
    }

    /// <summary>
    /// The vector as of the last commit (or rollback, or open), readable from any thread without the caller's lock:
    /// never what an open transaction has applied but not committed.
    /// </summary>
    public VersionVector CommittedVector => Volatile.Read(ref _committedVector);

    private void PublishVector() => Volatile.Write(ref _committedVector, VectorAsVersionVector());

    public VersionVector VectorAsVersionVector() =>
        VersionVector.From(Vector.Select(e => new KeyValuePair<string, long>(Sites.NameOf(e.Key), e.Value)));

    public long Seen(int siteIdx) => Vector.GetValueOrDefault(siteIdx);

    /// <summary>The local index of <paramref name="site"/>, registering it (in the caller's transaction) when new.</summary>
    public int SiteIndexOf(string site) => Sites.GetOrAdd(Db, site);

    /// <summary>Continues as <paramref name="site"/> (a new incarnation); inside the caller's transaction.</summary>
    internal void SwitchSite(string site)
    {
        SiteId = site;
        SiteIndex = Sites.GetOrAdd(Db, site);
    }

    /// <summary>
    /// Marks, in the caller's transaction, that this process issues sequence numbers for the database (at its first seal),
    /// and returns true when another session's mark was still there: that writer never closed the database (a crash,
    /// a power cut, or a copy of the files taken while it ran and later put back), so this file may have lost changes it
    /// had issued and shipped, and must not issue more numbers under the current id. False once claimed.
    /// </summary>
    /// <remarks>
    /// Only the session holding the writer lock (an exclusive advisory lock on <c>DATABASE-edgesync.lock</c>, released
    /// by the operating system when its process dies) claims the mark. A second session while it is held — a CLI
    /// command on a file an agent serves — is not the one the mark speaks for: it neither takes the mark as a sign of a
    /// crash nor claims or clears it, so the running writer keeps its id and its mark.
    /// </remarks>
    internal bool ClaimSession()
    {
        if (_sessionClaimed || _sessionShared)
        {
            return false;
        }

        if (!TryTakeWriterLock())
        {
            _sessionShared = true;
            return false;
        }

        var previous = Sql.Scalar(Db, "SELECT value FROM _edgesync_meta WHERE key = 'writer_session'") as string;
        Sql.Scalar(Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('writer_session', $s)", ("$s", _session));
        _sessionClaimed = true;
        _claimUncommitted = true;
        return previous is not null && previous != _session;
    }

    private bool TryTakeWriterLock()
    {
        if (_writerLock is not null)
        {
            return true;
        }

        string path = Db.DataSource;
        if (string.IsNullOrEmpty(path) || path == ":memory:")
        {
            return true; // nothing another process could open
        }

        try
        {
            // FileShare.None is an exclusive flock(2) on Unix and a share lock on Windows: a second holder fails at once.
            _writerLock = new FileStream(path + "-edgesync.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // held by another session, or the directory is read-only: do not judge another writer's mark
        }
    }

    /// <summary>
    /// Allocates <paramref name="count"/> consecutive sequence numbers for this site; returns the first. Only inside a
    /// transaction that commits with <c>synchronous=FULL</c> (<see cref="Durability.Full"/>, or
    /// <see cref="Durability.Sealing"/> when there was something to seal): numbers a power cut could take back after a
    /// peer received them would be issued again with other contents.
    /// </summary>
    public long AllocateSeq(long count)
    {
        if (_synchronous != Durability.Full)
        {
            throw new InvalidOperationException(
                "internal error: sequence numbers allocated in a transaction that commits with synchronous=NORMAL "
                + "(a seal found work that SyncStore.HasUnsealedChanges did not see)");
        }

        _issued = true;
        long first = Seen(SiteIndex) + 1;
        Vector[SiteIndex] = first + count - 1;
        return first;
    }

    /// <summary>How long <see cref="Begin(Durability, CancellationToken)"/> waits for another connection's write lock before it fails with SQLite's busy error.</summary>
    public TimeSpan BusyTimeout { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sets <see cref="BusyTimeout"/>, for this store's waits and SQLite's own.</summary>
    public void SetBusyTimeout(TimeSpan timeout)
    {
        BusyTimeout = timeout;
        Sql.Exec(Db, $"PRAGMA busy_timeout = {(long)timeout.TotalMilliseconds}");
    }

    /// <summary>
    /// Begins a write transaction, waiting up to <see cref="BusyTimeout"/> while another connection holds the write lock
    /// (then SQLite's busy error). Between attempts it pauses as SQLite's own busy handler does, and it stops with
    /// <see cref="OperationCanceledException"/> as soon as <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public void Begin(CancellationToken cancellationToken = default) => Begin(Durability.Full, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in one write transaction (<see cref="Begin(CancellationToken)"/>): committed when it returns, rolled back when it throws.</summary>
    public T InTransaction<T>(Func<SyncStore, T> body, CancellationToken cancellationToken = default) =>
        InTransaction(Durability.Full, body, cancellationToken);

    /// <summary>As <see cref="InTransaction{T}(Func{SyncStore, T}, CancellationToken)"/>, committing as <paramref name="durability"/> says.</summary>
    public T InTransaction<T>(Durability durability, Func<SyncStore, T> body, CancellationToken cancellationToken = default)
    {
        Begin(durability, cancellationToken);
        try
        {
            T result = body(this);
            Commit();
            return result;
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>As <see cref="InTransaction{T}(Func{SyncStore, T}, CancellationToken)"/>, for a body with no result.</summary>
    public void InTransaction(Action<SyncStore> body, CancellationToken cancellationToken = default) =>
        InTransaction(Durability.Full, body, cancellationToken);

    /// <summary>As <see cref="InTransaction(Action{SyncStore}, CancellationToken)"/>, committing as <paramref name="durability"/> says.</summary>
    public void InTransaction(Durability durability, Action<SyncStore> body, CancellationToken cancellationToken = default) =>
        InTransaction(durability, store => { body(store); return true; }, cancellationToken);

    /// <summary>As <see cref="Begin(CancellationToken)"/>, committing as <paramref name="durability"/> says.</summary>
    public void Begin(Durability durability, CancellationToken cancellationToken = default)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool last = System.Diagnostics.Stopwatch.GetElapsedTime(start) >= BusyTimeout;
            if (TryBegin(throwIfBusy: last, durability))
            {
                return;
            }

            WriteLock.Pause(attempt, cancellationToken);
        }
    }

    /// <summary>
    /// <see cref="Begin(Durability, CancellationToken)"/> without waiting: false when another connection holds the
    /// write lock (or, with <paramref name="throwIfBusy"/>, SQLite's busy error). Lets a caller wait for the lock
    /// without holding its own locks (see <c>SyncDatabase.Capture</c>).
    /// </summary>
    public bool TryBegin(bool throwIfBusy = false, Durability durability = Durability.Full)
    {
        SealHasWork = true;
        if (durability != Durability.Sealing)
        {
            SetSynchronous(durability);
            return TryBeginAt(throwIfBusy);
        }

        // SQLite fixes synchronous for a whole transaction, so decide before it begins: begin at NORMAL, look under
        // the write lock (nothing can be added meanwhile) whether a seal would issue sequence numbers, and if so
        // begin again at FULL. The empty transaction costs far less than the fsync the usual case no longer pays.
        SetSynchronous(Durability.Bookkeeping);
        if (!TryBeginAt(throwIfBusy))
        {
            return false;
        }

        bool seals;
        try
        {
            seals = HasUnsealedChanges();
        }
        catch
        {
            Rollback();
            throw;
        }

        if (!seals)
        {
            SealHasWork = false;
            return true;
        }

        Sql.Exec(Db, "ROLLBACK"); // nothing was written and no cached value changed
        _inTransaction = false;
        SetSynchronous(Durability.Full);
        return TryBeginAt(throwIfBusy);
    }

    /// <summary>
    /// False when the open transaction began with <see cref="Durability.Sealing"/> and found nothing to seal: a seal in
    /// it would read and write nothing, so the caller may skip it. True otherwise.
    /// </summary>
    public bool SealHasWork { get; private set; } = true;

    /// <summary>
    /// Whether a seal now could issue sequence numbers: this session has not claimed the writer mark yet (the claim may
    /// continue as a new incarnation), a schema change is to be taken, the trigger queue holds rows (of tables whose sync is not stopped), or a rowid-scan table holds rows past what
    /// capture accounted for. Reads only; in the caller's transaction.
    /// </summary>
    internal bool HasUnsealedChanges()
    {
        if (!_sessionClaimed && !_sessionShared)
        {
            return true;
        }

        // A schema change to take first (Capture/SchemaSync): it may queue rows a rebuild left uncaptured, and the
        // tables below may not be what the cache says (a dropped table cannot be read).
        if (SchemaCookie() != CheckedSchemaCookie)
        {
            return true;
        }

        if (CaptureQueue.HasRows(Db, StoppedTableIds()))
        {
            return true;
        }

        foreach (var t in _byId.Values)
        {
            if (t.Info is { Mode: CaptureMode.RowidScan, Drift: null } && CaptureQueue.HasRowsPastWatermark(this, t))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sets <c>PRAGMA synchronous</c> for the next transaction (SQLite refuses to change it inside one).</summary>
    private void SetSynchronous(Durability durability)
    {
        var level = durability == Durability.Full ? Durability.Full : Durability.Bookkeeping;
        if (level != _synchronous)
        {
            Sql.Exec(Db, level == Durability.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            _synchronous = level;
        }
    }

    private bool TryBeginAt(bool throwIfBusy)
    {
        if (!WriteLock.TryBegin(Db, throwIfBusy, BusyTimeout))
        {
            return false;
        }

        _inTransaction = true;
        _issued = false;
        _vectorSnapshot = new Dictionary<int, long>(Vector);
        return true;
    }

    public void Commit()
    {
        bool moved = Vector.Count != _vectorSnapshot.Count; // an entry removed (reincarnation); a new or raised one shows below
        using (var cmd = Db.CreateCommand())
        {
            cmd.CommandText = "INSERT OR REPLACE INTO _edgesync_vector(site, seq) VALUES ($s, $q)";
            var s = cmd.Parameters.Add("$s", SqliteType.Integer);
            var q = cmd.Parameters.Add("$q", SqliteType.Integer);
            foreach (var (site, seq) in Vector)
            {
                if (_vectorSnapshot.GetValueOrDefault(site) != seq)
                {
                    moved = true;
                    s.Value = site;
                    q.Value = seq;
                    cmd.ExecuteNonQuery();
                }
            }
        }

        // Only when the clock moved: a transaction that changed nothing then writes nothing, so the WAL does not grow
        // and other connections' data_version does not move (a capture with nothing to seal must not wake capture).
        var hlc = Clock.Last;
        if (hlc != _storedHlc)
        {
            Sql.Scalar(Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('hlc', $h)", ("$h", hlc.Value));
        }

        if (CommitObserver is { } observe)
        {
            observe(new CommitRecord((long)Sql.Scalar(Db, "PRAGMA synchronous")!, _issued));
        }

        FaultPoints.Hit("commit");
        Sql.Exec(Db, "COMMIT");
        _inTransaction = false;
        if (moved)
        {
            PublishVector(); // only now: a reader must never see a vector that a failed COMMIT would take back
        }

        _claimUncommitted = false;
        _storedHlc = hlc;
        SetSynchronous(Durability.Bookkeeping); // writes outside a transaction (status, peers' vectors) are bookkeeping
    }

    /// <summary>
    /// Test hook: called in <see cref="Commit"/> just before <c>COMMIT</c> with the connection's own
    /// <c>PRAGMA synchronous</c> and whether the transaction issued sequence numbers.
    /// </summary>
    internal Action<CommitRecord>? CommitObserver { get; set; }

    public void Rollback()
    {
        if (!_inTransaction)
        {
            return;
        }

        _inTransaction = false;
        if (_claimUncommitted)
        {
            _sessionClaimed = false; // the mark was written in this transaction and is gone with it: claim again at the next seal
            _claimUncommitted = false;
        }

        try
        {
            Sql.Exec(Db, "ROLLBACK");
        }
        catch (SqliteException)
        {
            // SQLite already rolled back (for example after SQLITE_FULL); nothing is left to undo.
        }

        Sites.Reload(Db);
        SiteId = MetaTable.SiteId(Db);
        SiteIndex = Sites.TryGetIndex(SiteId, out int idx) ? idx : SiteIndex;
        LoadVector();
        LoadTables();
        CheckedSchemaCookie = -1;
        SchemaEvents.Clear();
    }

    public void Dispose()
    {
        if (_sessionClaimed && !_inTransaction)
        {
            try
            {
                // A clean close: the next session may keep the id.
                Sql.Scalar(Db, "DELETE FROM _edgesync_meta WHERE key = 'writer_session' AND value = $s", ("$s", _session));
            }
            catch (SqliteException)
            {
                // Read-only, full or locked: the next session treats this one as unclean and takes a new id, which is safe.
            }
        }

        foreach (var t in _byId.Values)
        {
            t.Dispose();
        }

        Db.Dispose();
        _writerLock?.Dispose(); // after the mark is cleared; the file stays (deleting it would race a next holder)
    }
}
