using System.Net;
using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// Owns the agent's peer conversations (<see cref="PeerConversation"/>, each carrying every hosted database): one per
/// configured URL (<see cref="AgentOptions.Peers"/>, <see cref="AgentOptions.Hub"/>) and one per address of
/// <see cref="AgentOptions.PeerDns"/>, re-resolved every <see cref="AgentOptions.PeerDnsIntervalMs"/>: pods that appear
/// get a conversation, pods that vanish lose theirs. A failed resolution keeps the current set (a DNS hiccup must not
/// drop peers).
/// </summary>
internal sealed class PeerSupervisor : IAsyncDisposable
{
    private readonly DatabaseRegistry _registry;
    private readonly Func<Protocol.V1.ReplicaReport>? _report; // this agent's report of its cluster, sent to a hub it calls
    private readonly AgentOptions _options;
    private readonly Security.FleetTls? _tls;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, PeerConversation> _loops = new(StringComparer.Ordinal);
    private readonly HashSet<string> _static = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cts = new();
    private Task _dns = Task.CompletedTask;
    private bool _disposed;

    public PeerSupervisor(
        DatabaseRegistry registry, AgentOptions options, Security.FleetTls? tls, ILogger logger, TimeProvider time, Func<Protocol.V1.ReplicaReport>? report = null)
    {
        _report = report;
        _registry = registry;
        _options = options;
        _tls = tls;
        _logger = logger;
        _time = time;
    }

    /// <summary>The conversations, one per peer URL.</summary>
    public IReadOnlyList<PeerConversation> Conversations
    {
        get
        {
            lock (_gate)
            {
                return _loops.Values.ToList();
            }
        }
    }

    /// <summary>URLs with a running conversation.</summary>
    public IReadOnlyList<string> Urls
    {
        get
        {
            lock (_gate)
            {
                return _loops.Keys.ToList();
            }
        }
    }

    public void Start()
    {
        foreach (var url in _options.StaticPeers)
        {
            _static.Add(url);
            Add(url);
        }

        if (PeerAddress.TryParseDns(_options.PeerDns, out var host, out int port))
        {
            _dns = Task.Run(() => ResolveLoopAsync(host, port, _cts.Token));
        }
    }

    private async Task ResolveLoopAsync(string host, int port, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.PeerDnsIntervalMs), _time);
        do
        {
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
                var desired = addresses.Select(a => PeerAddress.ForAddress(a, port, tls: _tls is not null)).ToHashSet(StringComparer.Ordinal);
                foreach (var url in desired)
                {
                    Add(url);
                }

                List<PeerConversation> gone;
                lock (_gate)
                {
                    gone = _loops.Where(l => !desired.Contains(l.Key) && !_static.Contains(l.Key)).Select(l => l.Value).ToList();
                    foreach (var loop in gone)
                    {
                        _loops.Remove(loop.Url);
                    }
                }

                foreach (var loop in gone)
                {
                    Log.PeerRemoved(_logger, loop.Url);
                    await loop.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                Log.DnsFailed(_logger, host, e.Message);
            }
        }
        while (await WaitAsync(timer, ct).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Add(string url)
    {
        lock (_gate)
        {
            if (_disposed || _loops.ContainsKey(url))
            {
                return;
            }

            var loop = new PeerConversation(_registry, _options, url, _tls, _logger, _time, _report);
            _loops.Add(url, loop);
            loop.Start();
        }

        Log.PeerAdded(_logger, url);
    }

    public async ValueTask DisposeAsync()
    {
        List<PeerConversation> loops;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            loops = _loops.Values.ToList();
            _loops.Clear();
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        await _dns.ConfigureAwait(false);
        await Task.WhenAll(loops.Select(l => l.DisposeAsync().AsTask())).ConfigureAwait(false);
        _cts.Dispose();
    }
}
