using EdgeSync.Clocks;

namespace EdgeSync.Agent.Sync;

internal sealed partial class PeerLink
{
    /// <summary>
    /// Records the peer's announced vector in the database's peer table: at once when the database is free, otherwise
    /// queued by it and written as soon as it is (<see cref="SyncDatabase.QueuePeerVector"/>), so the conversation's
    /// reading loop never waits for the database. It used to wait here, then on a thread of its own per busy moment, and
    /// in a busy fleet those threads spun on the database's lock (a hub's vector moves at every push it applies, and
    /// each of its factories records each move).
    /// </summary>
    private void Record(string peerSite, VersionVector vector, CancellationToken cancellationToken)
    {
        Hosted.Db.QueuePeerVector(peerSite, vector, cancellationToken);
        lock (_gate)
        {
            _recorded = _recorded.Merge(vector);
        }
    }
}
