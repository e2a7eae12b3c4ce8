using EdgeSync.Capture;
using EdgeSync.Diagnostics;
using EdgeSync.Errors;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

/// <summary>Capture: sealing what this or any other process wrote into clocked changes, and the append audit.</summary>
public sealed partial class SyncDatabase
{
    /// <summary>
    /// Seals every change written since the last capture, by this or any other process, into clocked changes that
    /// peers can pull. Cheap when nothing changed. Apply and extraction do not require it first (apply seals
    /// itself; extraction sees what was sealed).
    /// </summary>
    public CaptureResult Capture() => CaptureAndAudit(wait: true);

    private CaptureResult CaptureAndAudit(bool wait)
    {
        var result = CaptureCore(wait);
        var now = _options.Time.GetUtcNow();
        if (now - _lastAudit >= _options.AppendAuditInterval)
        {
            _lastAudit = now;
            int late = AuditAppendTables();
            result = new CaptureResult(result.Changes + late, result.RangeRows);
        }

        return result;
    }

    /// <summary>
    /// Seals local changes. Waits for the write lock (up to <see cref="SyncDatabaseOptions.BusyTimeout"/>) when
    /// <paramref name="wait"/>, without holding this database's own lock meanwhile, so extraction and apply of what
    /// is already sealed go on while an application holds the write lock; otherwise returns at once (no changes)
    /// when the lock is busy.
    /// </summary>
    private CaptureResult CaptureCore(bool wait)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            bool blocking = System.Diagnostics.Stopwatch.GetElapsedTime(start) >= _options.BusyTimeout;
            lock (_gate)
            {
                ThrowIfDisposed();
                ContinueIfClockRanAhead();
                string site = _store.SiteId;
                try
                {
                    if (blocking)
                    {
                        _store.Begin(); // waited long enough: SQLite's busy handler, and its timeout error
                    }
                    else if (!_store.TryBegin((int)_options.BusyTimeout.TotalMilliseconds))
                    {
                        if (!wait)
                        {
                            return default;
                        }

                        goto busy;
                    }

                    var result = Sealer.Seal(_store);
                    _store.Commit();
                    LogIfRetired(site);
                    if (result.Changes > 0)
                    {
                        EdgeSyncMetrics.ChangesCaptured.Add(result.Changes);
                        Log.Captured(_options.Logger, result.Changes, result.RangeRows);
                    }

                    return result;
                }
                catch (SqliteException e) when (StorageException.IsStorageError(e))
                {
                    _store.Rollback();
                    var storage = new StorageException(Path, e);
                    EdgeSyncMetrics.StorageErrors.Add(1, new KeyValuePair<string, object?>("cause", storage.Cause));
                    throw storage;
                }
                catch
                {
                    _store.Rollback();
                    throw;
                }
            }

        busy:
            // The pauses of SQLite's own busy handler: an application writing without pause is slowed as little as
            // before, and meanwhile this database's lock stays free for extraction and apply.
            Thread.Sleep(BusyPausesMs[Math.Min(attempt, BusyPausesMs.Length - 1)]);
        }
    }

    private static readonly int[] BusyPausesMs = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

    /// <summary>
    /// Finds rows of <c>append</c> tables that capture did not account for (inserted below rows already captured) and
    /// captures them. Runs from <see cref="Capture"/> every <see cref="SyncDatabaseOptions.AppendAuditInterval"/>;
    /// costs one <c>count(*)</c> per append table on a read snapshot when nothing was missed. Returns the rows found.
    /// </summary>
    public int AuditAppendTables()
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
            _store.Begin();
            try
            {
                Sealer.Seal(_store);
                int found = suspects.Sum(tid => AppendAudit.Repair(_store, _store.Table(tid)));
                var result = Sealer.Seal(_store);
                _store.Commit();
                EdgeSyncMetrics.LateRowsFound.Add(found);
                EdgeSyncMetrics.ChangesCaptured.Add(result.Changes);
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
