using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>How long a peer's vector that met a busy database waits before the next try.</summary>
    internal static readonly TimeSpan PeerQueueRetry = TimeSpan.FromMilliseconds(50);

    private readonly Lock _peerQueueGate = new();
    private Dictionary<string, VersionVector>? _queuedPeers; // heard while the database was busy, not written yet
    private ITimer? _peerQueueTimer;
    private bool _peerQueueArmed;

    /// <summary>
    /// Records that <paramref name="peer"/> holds at least <paramref name="vector"/> (from a handshake or an
    /// acknowledgement). Writes only when the vector rises, waiting for another connection's write lock as
    /// <see cref="Apply"/> does, but without holding this database's own lock meanwhile (as <see cref="Capture"/>), so
    /// capture, extraction and apply go on while an application holds the write lock; cancelling
    /// <paramref name="cancellationToken"/> stops the wait with nothing recorded.
    /// </summary>
    public void RecordPeerVector(string peer, VersionVector vector, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentNullException.ThrowIfNull(vector);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool last = System.Diagnostics.Stopwatch.GetElapsedTime(start) >= _options.BusyTimeout;
            lock (_gate)
            {
                var recorded = RaisePeerVector(peer, vector, throwIfBusy: last, cancellationToken);
                if (recorded is null)
                {
                    return; // an idle round writes nothing
                }

                if (recorded.Value)
                {
                    break;
                }
            }

            WriteLock.Pause(attempt, cancellationToken);
        }

        PeersMoved();
    }

    /// <summary>
    /// As <see cref="RecordPeerVector"/>, but never waits: false at once, with nothing recorded, while this database is
    /// busy (capturing, applying, recording another peer's vector) or another connection holds the write lock. For
    /// callers that hear the peer's vector again soon (a hub hears every factory's announcements) and must not queue a
    /// thread behind the writer meanwhile. True when the vector is recorded or raised nothing.
    /// </summary>
    public bool TryRecordPeerVector(string peer, VersionVector vector)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentNullException.ThrowIfNull(vector);
        if (!_gate.TryEnter())
        {
            return false;
        }

        bool? recorded;
        try
        {
            recorded = RaisePeerVector(peer, vector, throwIfBusy: false, CancellationToken.None);
        }
        finally
        {
            _gate.Exit();
        }

        if (recorded is true)
        {
            PeersMoved();
        }

        return recorded is not false;
    }

    /// <summary>
    /// Under <c>_gate</c>: records <paramref name="vector"/> for <paramref name="peer"/> in one commit (redone by the next
    /// round if lost). Null when it raises nothing; false when another connection holds the write lock and
    /// <paramref name="throwIfBusy"/> is not set.
    /// </summary>
    private bool? RaisePeerVector(string peer, VersionVector vector, bool throwIfBusy, CancellationToken cancellationToken) =>
        RaisePeerVectors([new(peer, vector)], throwIfBusy, cancellationToken);

    /// <summary>
    /// Under <c>_gate</c>: raises each peer's recorded vector in one commit (redone by a later report if lost). Null when
    /// it raises nothing; false when another connection holds the write lock and <paramref name="throwIfBusy"/> is not set.
    /// </summary>
    private bool? RaisePeerVectors(IEnumerable<KeyValuePair<string, VersionVector>> reported, bool throwIfBusy, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var rising = new List<(string Peer, List<KeyValuePair<string, long>> Entries)>();
        foreach (var (peer, vector) in reported)
        {
            ReincarnateIfPeerIsAhead(vector, cancellationToken);
            if (PeerVectors.Rising(_store, peer, vector) is { Count: > 0 } entries)
            {
                rising.Add((peer, entries));
            }
        }

        if (rising.Count == 0)
        {
            return null;
        }

        if (!_store.TryBegin(throwIfBusy, Durability.Bookkeeping))
        {
            return false;
        }

        try
        {
            foreach (var (peer, entries) in rising)
            {
                PeerVectors.Raise(_store, peer, entries);
            }

            _store.Commit();
        }
        catch
        {
            _store.Rollback();
            throw;
        }

        return true;
    }

    /// <summary>
    /// Records that <paramref name="peer"/> holds at least <paramref name="vector"/> — at once when the database is free,
    /// otherwise shortly after, with whatever else peers report meanwhile merged in and written in one commit. Never
    /// blocks the caller on this database's lock or another connection's write lock: a hub hears every factory's
    /// announcements and acknowledgements, and a thread waiting (spinning) on the writer for each cost a busy fleet a
    /// fifth of its CPU. A peer that holds more of this site's changes than this database (it lost changes it had
    /// issued) is the exception: that is recorded before this returns, as <see cref="RecordPeerVector"/> does, so the
    /// database continues as a new incarnation before it writes anything else. What is not written yet when the
    /// database closes is lost, which is safe (compaction waits for what is recorded; the peer reports it again).
    /// </summary>
    public void QueuePeerVector(string peer, VersionVector vector, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentNullException.ThrowIfNull(vector);
        if (vector[SiteId] > Vector[SiteId])
        {
            RecordPeerVector(peer, vector, cancellationToken); // rare: the reincarnation must not wait
            return;
        }

        lock (_peerQueueGate)
        {
            ThrowIfDisposed();
            _queuedPeers ??= new(StringComparer.Ordinal);
            _queuedPeers[peer] = _queuedPeers.TryGetValue(peer, out var queued) ? queued.Merge(vector) : vector;
            if (_peerQueueArmed)
            {
                return; // the write under way or due takes it
            }

            _peerQueueArmed = true;
        }

        WriteQueuedPeers();
    }

    /// <summary>Writes the queued vectors in one commit when the database is free; otherwise tries again after <see cref="PeerQueueRetry"/>.</summary>
    private void WriteQueuedPeers()
    {
        Dictionary<string, VersionVector>? queued;
        lock (_peerQueueGate)
        {
            queued = _queuedPeers;
            _queuedPeers = null;
        }

        bool written = queued is null;
        bool moved = false;
        if (queued is not null && _gate.TryEnter())
        {
            try
            {
                var raised = _disposed ? false : RaisePeerVectors(queued, throwIfBusy: false, CancellationToken.None);
                written = raised is not false;
                moved = raised is true;
            }
            catch (Exception e) when (e is SqliteException or EdgeSyncException or ObjectDisposedException)
            {
                written = true; // dropped: recording less is safe, and the peers report their vectors again
                Log.PeerVectorsNotRecorded(_options.Logger, queued.Count, e.Message);
            }
            finally
            {
                _gate.Exit();
            }
        }

        if (moved)
        {
            PeersMoved();
        }

        lock (_peerQueueGate)
        {
            if (!written && queued is not null)
            {
                foreach (var (peer, vector) in queued)
                {
                    _queuedPeers ??= new(StringComparer.Ordinal);
                    _queuedPeers[peer] = _queuedPeers.TryGetValue(peer, out var later) ? later.Merge(vector) : vector;
                }
            }

            if (_queuedPeers is null || _disposed)
            {
                _peerQueueArmed = false;
                return;
            }

            // The system clock, not the options' TimeProvider: a retry after a busy moment, which a test's frozen clock must not hold back.
            _peerQueueTimer ??= TimeProvider.System.CreateTimer(static s => ((SyncDatabase)s!).WriteQueuedPeers(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _peerQueueTimer.Change(PeerQueueRetry, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>On dispose: no write is due any more.</summary>
    private void StopPeerQueue()
    {
        lock (_peerQueueGate)
        {
            _queuedPeers = null;
            _peerQueueTimer?.Dispose();
        }
    }
}
