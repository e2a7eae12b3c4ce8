using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Forgets peers absent for <see cref="AgentOptions.ForgetPeersAfterMinutes"/> in every hosted database (a replica
/// scaled away, a decommissioned factory), so compaction and retention stop waiting for them and their gauges stop
/// reporting them. A peer's last contact is the latest of: anything heard from it since this agent started
/// (<see cref="Sync.PeerStatus.LastSeen"/>), its last exchange in <c>cluster_sync</c>, and this agent's start.
/// </summary>
internal sealed class PeerForgetting : IAsyncDisposable
{
    private readonly DatabaseRegistry _registry;
    private readonly TimeSpan _after;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;
    private readonly CancellationTokenSource _cts = new();
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public PeerForgetting(DatabaseRegistry registry, AgentOptions options, ILogger logger, TimeProvider time)
    {
        _registry = registry;
        _after = TimeSpan.FromMinutes(options.ForgetPeersAfterMinutes);
        _logger = logger;
        _time = time;
        _started = time.GetUtcNow();
    }

    public void Start()
    {
        if (_after > TimeSpan.Zero)
        {
            _loop = Task.Run(() => RunAsync(_cts.Token));
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(_after.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(10).Ticks));
        using var timer = new PeriodicTimer(every, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                foreach (var hosted in _registry.All)
                {
                    Check(hosted, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Forgets the peers of one database that have been absent too long.</summary>
    public void Check(HostedDatabase hosted, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            var lastContact = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            void Saw(string peer, DateTimeOffset at)
            {
                var floor = at > _started ? at : _started;
                lastContact[peer] = lastContact.TryGetValue(peer, out var known) && known > floor ? known : floor;
            }

            foreach (var entry in hosted.Db.Status.GetSyncStatus())
            {
                Saw(entry.ClusterId, DateTimeOffset.FromUnixTimeMilliseconds(entry.LastSyncTime));
            }

            foreach (var backlog in hosted.Db.Status.GetPeerBacklogs())
            {
                Saw(backlog.Peer, _started);
            }

            foreach (var status in hosted.Board.Snapshot())
            {
                Saw(status.Site, status.LastSeen ?? _started);
            }

            foreach (var (peer, at) in lastContact)
            {
                if (peer.Length == 0 || peer == hosted.Site || now - at < _after)
                {
                    continue;
                }

                hosted.Db.Status.ForgetPeer(peer, cancellationToken);
                hosted.Board.Forget(peer);
                Log.PeerForgotten(_logger, peer, hosted.Name, (now - at).TotalMinutes);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or EdgeSync.Errors.EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Closed meanwhile or busy: the next check tries again.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _cts.Dispose();
    }
}
