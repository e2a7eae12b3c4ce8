using EdgeSync.Capture;
using EdgeSync.Diagnostics;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

/// <summary>Capture: sealing what this or any other process wrote into clocked changes, and the append audit.</summary>
public sealed partial class SyncDatabase
{
    /// <summary>
    /// Seals every change written since the last capture, by this or any other process, into clocked changes that
    /// peers can pull. Cheap when nothing changed. Apply and extraction do not require it first (apply seals
    /// itself; extraction sees what was sealed). While another connection holds the write lock it waits, up to
    /// <see cref="SyncDatabaseOptions.BusyTimeout"/> (then <see cref="StorageException"/>); cancelling
    /// <paramref name="cancellationToken"/> ends the wait at once with <see cref="OperationCanceledException"/>.
    /// </summary>
    public CaptureResult Capture(CancellationToken cancellationToken = default) => CaptureAndAudit(wait: true, waitForGate: true, cancellationToken)!.Value;

    /// <summary>
    /// As <see cref="Capture"/>, but never waits for a lock: returns null at once, with nothing sealed, while another
    /// connection holds the write lock or this database is busy (applying a batch, for one). A caller that must wait
    /// for an application's write lock tries again later without blocking a thread meanwhile (the agent's capture
    /// loop retries at the next write to the -wal file and at least every 5 ms: an application committing often frees
    /// the lock only between its transactions).
    /// </summary>
    public CaptureResult? TryCapture(CancellationToken cancellationToken = default) => CaptureAndAudit(wait: false, waitForGate: false, cancellationToken);

    private CaptureResult? CaptureAndAudit(bool wait, bool waitForGate, CancellationToken cancellationToken)
    {
        if (CaptureCore(wait, waitForGate, cancellationToken) is not { } result)
        {
            return null;
        }

        var now = _options.Time.GetUtcNow();
        if (now - _lastAudit >= _options.AppendAuditInterval)
        {
            _lastAudit = now;
            int late = AuditAppendTables(cancellationToken);
            result = new CaptureResult(result.Changes + late, result.RangeRows);
        }

        return result;
    }

    /// <summary>
    /// Seals local changes. Waits for the write lock (up to <see cref="SyncDatabaseOptions.BusyTimeout"/>) when
    /// <paramref name="wait"/>, without holding this database's own lock meanwhile, so extraction and apply of what
    /// is already sealed go on while an application holds the write lock; otherwise returns null at once when the
    /// lock is busy, and, unless <paramref name="waitForGate"/>, also when this database's own lock is.
    /// </summary>
    private CaptureResult? CaptureCore(bool wait, bool waitForGate, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool last = System.Diagnostics.Stopwatch.GetElapsedTime(start) >= _options.BusyTimeout;
            if (waitForGate)
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
                ContinueIfClockRanAhead(cancellationToken: cancellationToken);
                string site = _store.SiteId;
                try
                {
                    if (!_store.TryBegin(throwIfBusy: wait && last, Durability.Sealing)) // waited long enough: SQLite's busy error
                    {
                        if (!wait)
                        {
                            return null;
                        }

                        goto busy;
                    }

                    var result = _store.SealHasWork ? Sealer.Seal(_store) : default;
                    FaultPoints.Hit("capture.seal");
                    _store.Commit();
                    ReportSchemaEvents();
                    LogIfRetired(site);
                    if (result.Changes > 0)
                    {
                        _metrics.Captured(_name, result.Changes);
                        Log.Captured(_options.Logger, result.Changes, result.RangeRows);
                    }

                    return result;
                }
                catch (SqliteException e) when (StorageException.IsStorageError(e))
                {
                    _store.Rollback();
                    var storage = new StorageException(Path, e);
                    _metrics.StorageError(_name, storage.Cause);
                    throw storage;
                }
                catch
                {
                    _store.Rollback();
                    throw;
                }
            }
            finally
            {
                _gate.Exit();
            }

        busy:
            // Meanwhile this database's lock stays free for extraction and apply. Briefly: the writer's lock is free
            // only between an application's transactions.
            WriteLock.PauseBriefly(cancellationToken);
        }
    }

    /// <summary>
    /// Finds rows of <c>append</c> tables that capture did not account for (inserted below rows already captured) and
    /// captures them. Runs from <see cref="Capture"/> every <see cref="SyncDatabaseOptions.AppendAuditInterval"/>;
    /// costs one <c>count(*)</c> per append table on a read snapshot when nothing was missed. Returns the rows found.
    /// </summary>
    internal int AuditAppendTables(CancellationToken cancellationToken = default)
    {
        List<int> suspects;
        using (var reader = OpenReader())
        {
            suspects = AppendAudit.FindSuspects(reader);
        }

        if (suspects.Count == 0)
        {
            return 0;
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            _store.Begin(cancellationToken);
            try
            {
                Sealer.Seal(_store);
                int found = suspects.Sum(tid => AppendAudit.Repair(_store, _store.Table(tid)));
                var result = Sealer.Seal(_store);
                _store.Commit();
                ReportSchemaEvents();
                _metrics.LateRowsFound(_name, found);
                _metrics.Captured(_name, result.Changes);
                Log.LateRowsFound(_options.Logger, found);
                return found;
            }
            catch
            {
                _store.Rollback();
                throw;
            }
        }
    }
}
