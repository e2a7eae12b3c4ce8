using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>
/// A real three-node <c>nats-server</c> cluster with JetStream on loopback (Debian's package; <c>.ci/run</c> installs
/// it): free ports, data in a temp directory. Clients are not told of the other servers (<c>no_advertise</c>), so a
/// client given one URL, or a proxy's, uses only that. Skips the test with the reason when the server is missing.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const string Name = "edgesync-test";
    private static readonly string[] Binaries = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
    private readonly TempDir _dir = new();
    private readonly Process?[] _servers = new Process?[3];
    private readonly int[] _clientPorts = new int[3];
    private readonly int[] _routePorts = new int[3];
    private readonly string _binary;
    private readonly Lock _gate = new();
    private bool _disposed;

    private NatsCluster(string binary)
    {
        _binary = binary;
        for (int i = 0; i < 3; i++)
        {
            _clientPorts[i] = FreePort();
            _routePorts[i] = FreePort();
        }
    }

    public IReadOnlyList<string> Urls => _clientPorts.Select(p => $"nats://127.0.0.1:{p}").ToList();

    public int ClientPort(int node) => _clientPorts[node];

    public static async Task<NatsCluster> StartAsync()
    {
        string? binary = Binaries.FirstOrDefault(File.Exists);
        Assert.SkipWhen(binary is null, "nats-server is not installed (Debian package 'nats-server'; .ci/run installs it)");
        var cluster = new NatsCluster(binary!);
        for (int i = 0; i < 3; i++)
        {
            cluster.Start(i);
        }

        await cluster.WaitReadyAsync();
        return cluster;
    }

    /// <summary>Starts node <paramref name="node"/> (again), on its ports and data directory.</summary>
    public void Start(int node)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return; // a restart scheduled by a test that has ended: no server may outlive the cluster
            }

            string conf = Path.Combine(_dir.Path, $"n{node}.conf");
            string routes = string.Join(", ", _routePorts.Where((_, i) => i != node).Select(p => $"nats-route://127.0.0.1:{p}"));
            File.WriteAllText(conf, $$"""
                server_name: n{{node}}
                listen: 127.0.0.1:{{_clientPorts[node]}}
                jetstream { store_dir: "{{Path.Combine(_dir.Path, $"n{node}")}}" }
                cluster { name: {{Name}}, listen: 127.0.0.1:{{_routePorts[node]}}, routes: [{{routes}}], no_advertise: true }
                """);
            var psi = new ProcessStartInfo(_binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true };
            var p = Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.OutputDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            _servers[node] = p;
        }
    }

    /// <summary>SIGKILL of node <paramref name="node"/>.</summary>
    public void Kill(int node)
    {
        lock (_gate)
        {
            if (_servers[node] is { HasExited: false } p)
            {
                p.Kill();
                p.WaitForExit();
            }

            _servers[node] = null;
        }
    }

    /// <summary>The node that leads <paramref name="stream"/> (from the stream's cluster info).</summary>
    public async Task<int> LeaderOfAsync(string stream)
    {
        await using var nats = Connect();
        var js = new NatsJSContext(nats);
        var s = await js.GetStreamAsync(stream, cancellationToken: TestContext.Current.CancellationToken);
        string leader = s.Info.Cluster?.Leader ?? throw new InvalidOperationException("the stream has no leader");
        return int.Parse(leader.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
    }

    public NatsConnection Connect() => new(NatsOpts.Default with { Url = string.Join(',', Urls), MaxReconnectRetry = -1 });

    private async Task WaitReadyAsync()
    {
        await using var nats = Connect();
        var js = new NatsJSContext(nats);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await js.GetAccountInfoAsync(TestContext.Current.CancellationToken);
                return true;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                return false;
            }
        }, "the JetStream cluster answers", TimeSpan.FromSeconds(30));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        for (int i = 0; i < 3; i++)
        {
            Kill(i);
        }

        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
