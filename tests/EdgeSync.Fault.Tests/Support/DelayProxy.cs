using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// A user-space TCP proxy that adds latency and jitter (this kernel has no netem). Each chunk read from one side is
/// forwarded to the other after <c>latency ± jitter</c>, never before an earlier chunk of the same direction (a TCP
/// stream must not be reordered). Bounded: at most <see cref="MaxQueuedChunks"/> chunks wait per direction (the reader
/// then stops reading, so TCP backpressure reaches the sender), at most <see cref="MaxConnections"/> connections, and
/// the proxy stops itself after its lifetime or on dispose, closing every connection.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    public const int MaxQueuedChunks = 64;
    public const int MaxConnections = 64;

    private readonly Socket _listener;
    private readonly Func<CancellationToken, ValueTask<Socket>> _connectUpstream;
    private readonly TimeSpan _latency;
    private readonly TimeSpan _jitter;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private long _bytes;
    private int _accepted;

    /// <param name="listener">A bound, listening socket (in whatever namespace clients reach it).</param>
    /// <param name="connectUpstream">Opens the upstream connection for each accepted client.</param>
    /// <param name="lifetime">The proxy stops itself after this long, whatever happens to the test.</param>
    public DelayProxy(Socket listener, Func<CancellationToken, ValueTask<Socket>> connectUpstream, TimeSpan latency, TimeSpan jitter,
        int seed, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, latency);
        _listener = listener;
        Endpoint = (IPEndPoint)listener.LocalEndPoint!;
        _connectUpstream = connectUpstream;
        _latency = latency;
        _jitter = jitter;
        _random = new Random(seed);
        _stop = new CancellationTokenSource(lifetime);
        _stop.Token.Register(_listener.Dispose); // stop listening too, not only accepting, once the lifetime is up
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Where clients connect.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Bytes forwarded in both directions so far.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytes);

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        Task[] all;
        lock (_connections)
        {
            all = [_acceptLoop, .. _connections];
        }

        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                if (_connections.Count >= MaxConnections)
                {
                    client.Dispose();
                    continue;
                }

                Interlocked.Increment(ref _accepted);
                _connections.Add(RelayAsync(client, cancellationToken));
            }
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken cancellationToken)
    {
        using var _ = client;
        Socket upstream;
        try
        {
            upstream = await _connectUpstream(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            return; // the client sees the connection close, as it would if the far end were unreachable
        }

        using (upstream)
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var up = PumpAsync(client, upstream, linked.Token);
            var down = PumpAsync(upstream, client, linked.Token);
            // When either side fails hard, tear the other down too; a clean half-close lets the other direction finish.
            var first = await Task.WhenAny(up, down);
            if (!await first)
            {
                await linked.CancelAsync();
            }

            await Task.WhenAll(up, down);
        }
    }

    /// <summary>Returns true when the source closed cleanly and everything was delivered.</summary>
    private async Task<bool> PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<(long Due, byte[] Data)>(new BoundedChannelOptions(MaxQueuedChunks)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var reader = ReadAsync(from, queue.Writer, cancellationToken);
        bool delivered = true;
        try
        {
            await foreach (var (due, data) in queue.Reader.ReadAllAsync(cancellationToken))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }

                await to.SendAsync(data, SocketFlags.None, cancellationToken);
                Interlocked.Add(ref _bytes, data.Length);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            delivered = false;
        }

        bool clean = await reader;
        return clean && delivered;
    }

    private async Task<bool> ReadAsync(Socket from, ChannelWriter<(long Due, byte[] Data)> queue, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        long lastDue = 0;
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    queue.Complete();
                    return true;
                }

                double jitterMs;
                lock (_random)
                {
                    jitterMs = (_random.NextDouble() * 2 - 1) * _jitter.TotalMilliseconds;
                }

                long due = Stopwatch.GetTimestamp() + (long)((_latency.TotalMilliseconds + jitterMs) * Stopwatch.Frequency / 1000);
                lastDue = Math.Max(lastDue, due);
                await queue.WriteAsync((lastDue, buffer[..n]), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            queue.TryComplete(e);
            return false;
        }
    }
}
