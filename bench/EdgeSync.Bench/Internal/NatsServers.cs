using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// Three <c>nats-server</c> processes (Debian's package) forming a JetStream cluster on loopback, data in a temp
/// directory; stopped and deleted on dispose.
/// </summary>
internal sealed class NatsServers : IDisposable
{
    private static readonly string[] Binaries = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
    private readonly TempDirectory _dir = new("nats");
    private readonly List<Process> _servers = [];

    private NatsServers(string binary)
    {
        int[] client = [FreePort(), FreePort(), FreePort()];
        int[] route = [FreePort(), FreePort(), FreePort()];
        for (int i = 0; i < 3; i++)
        {
            string conf = Path.Combine(_dir.Path, $"n{i}.conf");
            string routes = string.Join(", ", route.Where((_, j) => j != i).Select(p => $"nats-route://127.0.0.1:{p}"));
            File.WriteAllText(conf, $$"""
                server_name: n{{i}}
                listen: 127.0.0.1:{{client[i]}}
                jetstream { store_dir: "{{Path.Combine(_dir.Path, $"n{i}")}}" }
                cluster { name: edgesync-bench, listen: 127.0.0.1:{{route[i]}}, routes: [{{routes}}] }
                """);
            var p = Process.Start(new ProcessStartInfo(binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            _servers.Add(p);
        }

        Urls = client.Select(p => $"nats://127.0.0.1:{p}").ToList();
    }

    public IReadOnlyList<string> Urls { get; }

    public static NatsServers Start()
    {
        string binary = Binaries.FirstOrDefault(File.Exists)
            ?? throw new BenchmarkFailedException("nats-server is not installed (Debian package 'nats-server')");
        var servers = new NatsServers(binary);
        servers.WaitReady();
        return servers;
    }

    public NatsConnection Connect() => new(NatsOpts.Default with { Url = string.Join(',', Urls) });

    private void WaitReady() => WaitReadyAsync().GetAwaiter().GetResult();

    private async Task WaitReadyAsync()
    {
        await using var nats = Connect();
        var js = new NatsJSContext(nats);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await js.GetAccountInfoAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when ((e is NatsException or TimeoutException) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var p in _servers)
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit();
            }

            p.Dispose();
        }

        _dir.Dispose();
    }
}
