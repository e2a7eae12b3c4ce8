using EdgeSync.Clocks;

namespace EdgeSync.Agent.Sync;

internal sealed partial class PeerLink
{
    private (string Site, VersionVector Vector)? _unrecorded; // announced while the database was busy, not yet written
    private bool _recordingLater; // a write of _unrecorded is under way off the conversation's loop

    /// <summary>
    /// Writes the peer's announced vector to the database's peer table at once when the database is free; when it is
    /// busy (applying a batch, capturing), a write off the caller's thread records it, with whatever else the peer
    /// announces meanwhile merged in. The conversation's reading loop used to wait for the database here, so every
    /// announcement behind a busy moment — a hub's configuration change among them — waited with it (a hub's vector
    /// moves at every push it applies, and each of its factories recorded each move).
    /// </summary>
    private void Record(string peerSite, VersionVector vector, CancellationToken cancellationToken)
    {
        if (Hosted.Db.TryRecordPeerVector(peerSite, vector))
        {
            Recorded(vector);
            return;
        }

        lock (_gate)
        {
            _unrecorded = _unrecorded is { } waiting && waiting.Site == peerSite ? (peerSite, waiting.Vector.Merge(vector)) : (peerSite, vector);
            if (_recordingLater)
            {
                return; // the write under way takes it next
            }

            _recordingLater = true;
        }

        _ = Task.Run(() => RecordLater(cancellationToken), CancellationToken.None);
    }

    /// <summary>Writes what was announced while the database was busy, until nothing is left (the last announcement is always written).</summary>
    private void RecordLater(CancellationToken cancellationToken)
    {
        while (true)
        {
            (string Site, VersionVector Vector) next;
            lock (_gate)
            {
                if (_unrecorded is not { } waiting || _disposed || cancellationToken.IsCancellationRequested)
                {
                    _recordingLater = false;
                    return;
                }

                next = waiting;
                _unrecorded = null;
            }

            try
            {
                Hosted.Db.RecordPeerVector(next.Site, next.Vector, cancellationToken);
                Recorded(next.Vector);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException
                or Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
            {
                // Closed, stopping, or still busy after the wait: not recorded, so the peer's next announcement or full
                // list (at least every IdleSyncIntervalMs) tries again.
                lock (_gate)
                {
                    _recordingLater = false;
                }

                return;
            }
        }
    }

    private void Recorded(VersionVector vector)
    {
        lock (_gate)
        {
            _recorded = _recorded.Merge(vector);
        }
    }
}
