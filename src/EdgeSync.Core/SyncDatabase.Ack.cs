using EdgeSync.Clocks;
using EdgeSync.Storage;

namespace EdgeSync;

/// <summary>Acknowledgement levels: how far this site's changes got, judged from what peers are known to hold.</summary>
public sealed partial class SyncDatabase
{
    private TaskCompletionSource _peersMoved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Captures what any process committed so far and returns the point in this site's history that covers it: an
    /// application that committed rows and then calls this can wait for them with <see cref="WaitForAckAsync"/>.
    /// </summary>
    public AckTicket CaptureForAck(CancellationToken cancellationToken = default)
    {
        Capture(cancellationToken);
        lock (_gate)
        {
            ThrowIfDisposed();
            return new AckTicket(_store.SiteId, _store.Seen(_store.SiteIndex));
        }
    }

    /// <summary>How far the changes of <paramref name="ticket"/> got now (see <see cref="AckResult"/>).</summary>
    public AckResult CheckAck(AckTicket ticket, AckLevel level)
    {
        var peers = KnownPeers();
        var holding = peers.Where(p => p.Value[ticket.Origin] >= ticket.Sequence).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        string cluster = ClusterOf(SiteId);
        bool hub = holding.Any(p => ClusterOf(p) != cluster);
        bool reached = level.Kind switch
        {
            AckLevelKind.Replicas => holding.Count >= level.ReplicaCount,
            AckLevelKind.Hub => hub,
            AckLevelKind.Exported => ExportedVector[ticket.Origin] >= ticket.Sequence,
            _ => true,
        };
        return new AckResult(ticket, level, reached, holding, hub);
    }

    /// <summary>
    /// Waits until the changes of <paramref name="ticket"/> are held at <paramref name="level"/>, or for at most
    /// <paramref name="timeout"/> (measured on <see cref="SyncDatabaseOptions.Time"/>); returns how far they got either
    /// way (<see cref="AckResult.Reached"/>). The changes stay written whatever the outcome. Wakes whenever a peer's
    /// vector is recorded (a handshake, a push acknowledgement, a batch from it), and checks at least once a second
    /// for peers recorded by another process. Cancelling <paramref name="cancellationToken"/> throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<AckResult> WaitForAckAsync(AckTicket ticket, AckLevel level, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(timeout, _options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        while (true)
        {
            var moved = Volatile.Read(ref _peersMoved).Task; // taken before the check, so a raise in between wakes us
            var result = CheckAck(ticket, level);
            if (result.Reached)
            {
                return result;
            }

            try
            {
                await moved.WaitAsync(TimeSpan.FromSeconds(1), _options.Time, linked.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // the once-a-second check
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return CheckAck(ticket, level);
            }
        }
    }

    /// <summary>
    /// Per origin, the highest sequence held at <paramref name="level"/>: this replica's own vector for
    /// <see cref="AckLevel.Local"/>; for <c>replicas:N</c> the N-th highest among the peers; for <c>hub</c> the highest
    /// among hubs. Never above what this replica holds itself.
    /// </summary>
    public VersionVector HeldAt(AckLevel level)
    {
        var local = Vector;
        if (level.Kind == AckLevelKind.Local)
        {
            return local;
        }

        if (level.Kind == AckLevelKind.Exported)
        {
            var exported = ExportedVector;
            return VersionVector.From(local.Select(e => KeyValuePair.Create(e.Key, Math.Min(e.Value, exported[e.Key]))));
        }

        var peers = KnownPeers();
        string cluster = ClusterOf(SiteId);
        var counted = level.Kind == AckLevelKind.Hub ? peers.Where(p => ClusterOf(p.Key) != cluster).ToList() : peers.ToList();
        int rank = level.Kind == AckLevelKind.Hub ? 1 : level.ReplicaCount;
        var held = new List<KeyValuePair<string, long>>();
        foreach (var (origin, seq) in local)
        {
            long at = counted.Select(p => p.Value[origin]).OrderDescending().Skip(rank - 1).FirstOrDefault();
            held.Add(new(origin, Math.Min(seq, at)));
        }

        return VersionVector.From(held);
    }

    /// <summary>Peers' known vectors by base site id (incarnations of one replica merged), this site excluded.</summary>
    private Dictionary<string, VersionVector> KnownPeers()
    {
        Dictionary<string, VersionVector> raw;
        using (var c = OpenReader())
        {
            raw = PeerVectors.Load(c);
        }

        string self = SiteIncarnation.BaseOf(SiteId);
        var peers = new Dictionary<string, VersionVector>(StringComparer.Ordinal);
        foreach (var (peer, vector) in raw)
        {
            string key = SiteIncarnation.BaseOf(peer);
            if (key != self)
            {
                peers[key] = peers.TryGetValue(key, out var v) ? v.Merge(vector) : vector;
            }
        }

        return peers;
    }

    private static string ClusterOf(string site)
    {
        string b = SiteIncarnation.BaseOf(site);
        int slash = b.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? b : b[..slash];
    }

    /// <summary>Wakes <see cref="WaitForAckAsync"/> callers: a peer's vector was recorded.</summary>
    private void PeersMoved() =>
        Interlocked.Exchange(ref _peersMoved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
