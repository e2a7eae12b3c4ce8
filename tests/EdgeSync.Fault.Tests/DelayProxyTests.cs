using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeSync.Fault.Tests.Support;

namespace EdgeSync.Fault.Tests;

/// <summary>The latency/jitter proxy on loopback (no root needed): delays, keeps the byte order, stops when told or when its time is up.</summary>
public sealed class DelayProxyTests : IDisposable
{
    private readonly Socket _echo = Listen();
    private readonly Task _echoLoop;
    private readonly CancellationTokenSource _stopEcho = new();

    public DelayProxyTests() => _echoLoop = EchoAsync(_echo, _stopEcho.Token);

    public void Dispose()
    {
        _stopEcho.Cancel();
        _echo.Dispose();
        _echoLoop.Wait(TimeSpan.FromSeconds(5));
        _stopEcho.Dispose();
    }

    [Fact]
    public async Task RoundTrip_TakesAtLeastTwiceTheLatencyLessJitter_AndBytesComeBackInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = Proxy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(20), TimeSpan.FromMinutes(1));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(proxy.Endpoint, ct);

        var sent = new List<byte>();
        var received = new List<byte>();
        var buffer = new byte[64 * 1024];
        var firstTrip = Stopwatch.StartNew();
        for (int i = 0; i < 100; i++)
        {
            var chunk = Enumerable.Range(i * 7, 1 + i % 13).Select(b => (byte)b).ToArray();
            sent.AddRange(chunk);
            await client.SendAsync(chunk, SocketFlags.None, ct);
            await Task.Delay(1, ct); // separate reads on the proxy side, each with its own jittered delay
        }

        while (received.Count < sent.Count)
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            Assert.True(n > 0, "the proxy closed the connection early");
            if (received.Count == 0)
            {
                firstTrip.Stop();
            }

            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Assert.Equal(sent, received);
        Assert.True(firstTrip.Elapsed >= TimeSpan.FromMilliseconds(2 * (50 - 20)), $"first round trip took only {firstTrip.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(1, proxy.ConnectionsAccepted);
        Assert.Equal(2L * sent.Count, proxy.BytesForwarded);
    }

    [Fact]
    public async Task Dispose_ClosesOpenConnections_AndStopsListening()
    {
        var ct = TestContext.Current.CancellationToken;
        var proxy = Proxy(TimeSpan.FromMilliseconds(5), TimeSpan.Zero, TimeSpan.FromMinutes(1));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy.Endpoint, ct);
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None, ct);
        var buffer = new byte[16];
        Assert.Equal(4, await client.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), ct));

        await proxy.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(0, await ReceiveOrZeroAsync(client, buffer, ct));
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var another = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await another.ConnectAsync(proxy.Endpoint, ct);
        });
    }

    [Fact]
    public async Task Proxy_StopsItself_AfterItsLifetime()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = Proxy(TimeSpan.FromMilliseconds(5), TimeSpan.Zero, lifetime: TimeSpan.FromMilliseconds(200));
        await Task.Delay(500, ct);
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(proxy.Endpoint, ct);
        });
    }

    private DelayProxy Proxy(TimeSpan latency, TimeSpan jitter, TimeSpan lifetime)
    {
        var upstream = (IPEndPoint)_echo.LocalEndPoint!;
        return new DelayProxy(Listen(), async ct =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await s.ConnectAsync(upstream, ct);
            return s;
        }, latency, jitter, seed: 42, lifetime);
    }

    private static Socket Listen()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Listen(16);
        return s;
    }

    /// <summary>0 once the peer closed (or reset) the connection, within a bounded wait.</summary>
    private static async Task<int> ReceiveOrZeroAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), ct);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    private static async Task EchoAsync(Socket listener, CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var s = await listener.AcceptAsync(ct);
                connections.Add(Task.Run(async () =>
                {
                    using var _ = s;
                    var buffer = new byte[16 * 1024];
                    try
                    {
                        int n;
                        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                        {
                            await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
                        }
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                    }
                }, ct));
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
