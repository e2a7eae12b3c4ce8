using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// A Linux network namespace this test created (<c>ip netns add</c>), deleted on dispose with everything in it (its
/// veth ends and nftables rules). Sockets can be opened inside it from this process (<see cref="CreateTcpSocket"/>),
/// so the test talks to agents in namespaces without any link into the host's own network.
/// </summary>
public sealed partial class Netns : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private bool _disposed;

    private Netns(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the namespace and brings its loopback up.</summary>
    public static Netns Create(string name)
    {
        Shell.Run("ip", "netns", "add", name);
        var ns = new Netns(name);
        try
        {
            ns.Ip("link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary><c>ip -n NAME ARGS</c>.</summary>
    public string Ip(params string[] args) => Shell.Run("ip", ["-n", Name, .. args]);

    /// <summary><c>nft ARGS</c> inside the namespace.</summary>
    public string Nft(params string[] args) => Shell.Run("ip", ["netns", "exec", Name, "nft", .. args]);

    /// <summary>
    /// Adds an nftables table <paramref name="table"/> that drops <paramref name="percent"/>% of the packets this
    /// namespace receives from or sends to any of <paramref name="addresses"/> (100 = a partition). Packets are dropped
    /// silently, as a lossy or dead WAN link does: TCP sees stalls and retransmissions, never a reset.
    /// </summary>
    public void AddDropRule(string table, IEnumerable<string> addresses, int percent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        string set = "{ " + string.Join(", ", addresses) + " }";
        string verdict = percent == 100 ? "drop" : $"numgen random mod 100 < {percent} drop";
        Nft("add", "table", "inet", table);
        Nft("add", "chain", "inet", table, "in", "{ type filter hook input priority 0; policy accept; }");
        Nft("add", "chain", "inet", table, "out", "{ type filter hook output priority 0; policy accept; }");
        Nft("add", "rule", "inet", table, "in", $"ip saddr {set} {verdict}");
        Nft("add", "rule", "inet", table, "out", $"ip daddr {set} {verdict}");
    }

    /// <summary>
    /// A one-way partition: an nftables table <paramref name="table"/> that drops every packet this namespace receives
    /// from any of <paramref name="addresses"/>, while what it sends them still leaves.
    /// </summary>
    public void AddInboundDropRule(string table, IEnumerable<string> addresses)
    {
        Nft("add", "table", "inet", table);
        Nft("add", "chain", "inet", table, "in", "{ type filter hook input priority 0; policy accept; }");
        Nft("add", "rule", "inet", table, "in", $"ip saddr {{ {string.Join(", ", addresses)} }} drop");
    }

    /// <summary>Removes a table added by <see cref="AddDropRule"/> or <see cref="AddInboundDropRule"/>.</summary>
    public void RemoveDropRule(string table) => Nft("delete", "table", "inet", table);

    /// <summary>A TCP socket that lives in this namespace.</summary>
    public Socket CreateTcpSocket()
    {
        var socket = CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        return socket;
    }

    /// <summary>
    /// An IPv4 socket that lives in this namespace: created on a short-lived thread that first joins the namespace with
    /// setns(2) (a socket belongs to the namespace it was created in, whatever thread uses it later).
    /// </summary>
    public Socket CreateSocket(SocketType type, ProtocolType protocol)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/var/run/netns", Name), FileMode.Open, FileAccess.Read);
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            }
            catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = "netns " + Name,
        };
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException($"cannot open a socket in network namespace {Name}", error);
    }

    /// <summary>Connects a new socket in this namespace to <paramref name="endpoint"/>.</summary>
    public async ValueTask<Socket> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = CreateTcpSocket();
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A listening socket in this namespace.</summary>
    public Socket Listen(IPEndPoint endpoint)
    {
        var socket = CreateTcpSocket();
        socket.Bind(endpoint);
        socket.Listen(64);
        return socket;
    }

    /// <summary>An HTTP client whose connections are opened inside this namespace (for an agent's ingest and health endpoints).</summary>
    public HttpClient CreateHttpClient(TimeSpan timeout) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var ip = IPAddress.Parse(context.DnsEndPoint.Host);
            var socket = await ConnectAsync(new IPEndPoint(ip, context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    {
        Timeout = timeout,
    };

    /// <summary>Pids of processes running in this namespace (<c>ip netns pids</c>).</summary>
    public IReadOnlyList<int> Pids()
    {
        var (exitCode, output) = Shell.TryRun("ip", "netns", "pids", Name);
        return exitCode != 0 ? [] : output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>Deletes the namespace (its veth ends and nftables tables go with it). Idempotent, never throws.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Shell.TryRun("ip", "netns", "del", Name);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
