using System.Collections.Concurrent;
using EdgeSync.Clocks;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// Per database, the state of every peer this replica has exchanged with (as client or server): feeds the lag,
/// backlog and last-sync gauges. Backlog = Σ over origins of max(0, local seq − peer seq); sequences are dense per
/// origin, so that is the number of changes the peer lacks (superseded ones included).
/// </summary>
internal sealed class PeerBoard
{
    private readonly ConcurrentDictionary<string, PeerStatus> _peers = new(StringComparer.Ordinal);
    private readonly Func<VersionVector?> _localVector;
    private readonly TimeProvider _time;
    private long _captureHeartbeatTicks;

    public PeerBoard(string database, string site, Func<VersionVector?> localVector, TimeProvider time)
    {
        Database = database;
        Site = site;
        _localVector = localVector;
        _time = time;
        _captureHeartbeatTicks = time.GetUtcNow().UtcTicks;
        Tags = [new("database", database), new("site", site)];
    }

    public string Database { get; }

    public string Site { get; }

    public KeyValuePair<string, object?>[] Tags { get; }

    public KeyValuePair<string, object?>[] TagsFor(string peer) => [new("database", Database), new("site", Site), new("peer", peer)];

    public IReadOnlyCollection<PeerStatus> Snapshot() => _peers.Values.ToList();

    public PeerStatus? Find(string peer) => _peers.GetValueOrDefault(peer);

    /// <summary>Records the peer's vector; <paramref name="success"/> marks a completed exchange.</summary>
    public void Observe(string peer, VersionVector vector, bool success)
    {
        var now = _time.GetUtcNow();
        var status = _peers.GetOrAdd(peer, p => new PeerStatus(p) { CaughtUpAt = now });
        lock (status)
        {
            status.Vector = status.Vector.Merge(vector);
            status.LastSeen = now;
            if (success)
            {
                status.LastSuccess = now;
            }
        }

        Backlog(status);
    }

    public double Backlog(PeerStatus status)
    {
        var local = _localVector();
        if (local is null)
        {
            return 0;
        }

        long backlog = 0;
        lock (status)
        {
            foreach (var (origin, seq) in local)
            {
                backlog += Math.Max(0, seq - status.Vector[origin]);
            }

            if (backlog == 0)
            {
                status.CaughtUpAt = _time.GetUtcNow();
            }
        }

        return backlog;
    }

    public double LagSeconds(PeerStatus status) =>
        Backlog(status) == 0 ? 0 : (_time.GetUtcNow() - status.CaughtUpAt).TotalSeconds;

    /// <summary>The peer is still there (its conversation is open) though nothing moved.</summary>
    public void Touch(string peer)
    {
        if (_peers.TryGetValue(peer, out var status))
        {
            lock (status)
            {
                status.LastSeen = _time.GetUtcNow();
            }
        }
    }

    /// <summary>Drops a forgotten peer: its gauges disappear.</summary>
    public void Forget(string peer) => _peers.TryRemove(peer, out _);

    public void CaptureHeartbeat() => Interlocked.Exchange(ref _captureHeartbeatTicks, _time.GetUtcNow().UtcTicks);

    public TimeSpan CaptureHeartbeatAge() => _time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _captureHeartbeatTicks), TimeSpan.Zero);
}
