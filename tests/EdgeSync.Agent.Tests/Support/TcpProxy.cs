using System.Net;
using System.Net.Sockets;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// A user-space TCP proxy on loopback to one port: <see cref="Cut"/> closes every connection and resets new ones
/// (a network cut), <see cref="Restore"/> forwards again. The port stays bound through a cut: released, an ephemeral
/// port can be taken meanwhile (by a client retrying its connection to it, which Linux may connect to itself), and
/// the restore then failed with "Address already in use".
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _gate = new();
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync(_listener, _stop.Token);
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public void Restore() => _cut = false;

    public void Cut()
    {
        _cut = true;
        lock (_gate)
        {
            foreach (var c in _open)
            {
                c.Close();
            }

            _open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut)
            {
                inbound.Client.LingerState = new LingerOption(true, 0); // a reset, as from a cut link
                inbound.Close();
                continue;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(IPAddress.Loopback, _target, ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                inbound.Close();
                outbound.Close();
                continue;
            }

            lock (_gate)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            if (_cut)
            {
                Cut(); // cut while this connection was being made: close it too
                continue;
            }

            _ = PumpAsync(inbound, outbound, ct);
            _ = PumpAsync(outbound, inbound, ct);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to, CancellationToken ct)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
