using System.Net;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// The fleet under test, each agent a separate process in its own network namespace on one switch:
/// HQ (a hub), factory 1 (three replicas meshed with each other) and factory 2 (N replicas meshed), every factory
/// replica pointing <c>--hub</c> at HQ. Factory 2 reaches HQ through a <see cref="DelayProxy"/> in its own namespace
/// (WAN latency and jitter). Telemetry is an <c>append</c> table flowing <c>both</c> ways (everywhere) or <c>up</c>
/// only (factory → HQ, and between replicas of one factory); config is <c>lww</c>.
/// </summary>
public sealed class EdgeFleet : IAsyncDisposable
{
    public const int SyncPort = 5000;
    public const int HttpPort = 8080;
    public const int HubProxyPort = 6000;
    public const string DbFileName = "plant.db";

    private readonly List<EdgeSite> _sites = [];
    private readonly List<DelayProxy> _proxies = [];

    private readonly Dictionary<string, string> _agentEnvironment;

    private EdgeFleet(FaultNetwork network, TempDir dir, bool telemetryUp)
    {
        Network = network;
        Dir = dir;
        TelemetryUp = telemetryUp;
        _agentEnvironment = new()
        {
            ["EdgeSync__Tables__telemetry__Policy"] = "append",
            ["EdgeSync__Tables__telemetry__Direction"] = telemetryUp ? "up" : "both",
            ["EdgeSync__Tables__config__Policy"] = "lww",
            // Request logs of every sync call would bury what matters; EdgeSync's own logs stay at Information.
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
    }

    /// <summary>True when telemetry flows <c>up</c> only: a factory's replicas then hold only their own factory's rows.</summary>
    public bool TelemetryUp { get; }

    public FaultNetwork Network { get; }

    public TempDir Dir { get; }

    public IReadOnlyList<EdgeSite> Sites => _sites;

    public EdgeSite Hq => _sites.Single(s => s.IsHq);

    public IReadOnlyList<EdgeSite> Factory(int factory) => _sites.Where(s => s.Factory == factory).ToList();

    public IReadOnlyList<DelayProxy> Proxies => _proxies;

    /// <summary>Builds the network, sets up every database with <c>edgesync init</c>, starts every agent (bounded waits).</summary>
    public static async Task<EdgeFleet> StartAsync(TempDir dir, int factory1Replicas, int factory2Replicas, bool telemetryUp,
        TimeSpan wanLatency, TimeSpan wanJitter, CancellationToken cancellationToken)
    {
        var fleet = new EdgeFleet(new FaultNetwork(), dir, telemetryUp);
        try
        {
            var hqNode = fleet.Network.AddNode("hq", 10);
            string hqSync = $"http://{hqNode.Address}:{SyncPort}";
            fleet.Add(0, 0, hqNode, "--role", "hub");

            for (int factory = 1; factory <= 2; factory++)
            {
                int replicas = factory == 1 ? factory1Replicas : factory2Replicas;
                var nodes = Enumerable.Range(0, replicas).Select(r => fleet.Network.AddNode($"f{factory}-{r}", factory * 10 + 1 + r)).ToList();
                foreach (var (node, r) in nodes.Select((n, r) => (n, r)))
                {
                    string hub = hqSync;
                    if (factory == 2)
                    {
                        // Factory 2's WAN: its agents reach HQ through a delaying proxy in their own namespace.
                        var upstream = new IPEndPoint(IPAddress.Parse(hqNode.Address), SyncPort);
                        fleet._proxies.Add(new DelayProxy(node.Ns.Listen(new IPEndPoint(IPAddress.Loopback, HubProxyPort)),
                            ct => node.Ns.ConnectAsync(upstream, ct), wanLatency, wanJitter, seed: r, lifetime: TimeSpan.FromMinutes(5)));
                        hub = $"http://127.0.0.1:{HubProxyPort}";
                    }

                    string[] peers = nodes.Where(n => n != node).SelectMany(n => new[] { "--peer", $"http://{n.Address}:{SyncPort}" }).ToArray();
                    fleet.Add(factory, r, node, ["--hub", hub, .. peers]);
                }
            }

            await Task.WhenAll(fleet._sites.Select(s => Task.Run(() => Init(s), cancellationToken)));
            await Task.WhenAll(fleet._sites.Select(s => s.Agent.StartAsync(cancellationToken)));
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The directory of a node's database (<c>hq</c>, <c>f1-0</c>, <c>f1-1</c>, …), for a test that must prepare it before
    /// <see cref="StartAsync"/>, e.g. mount a small file system there.
    /// </summary>
    public static string SiteDirectory(TempDir dir, string node) => dir.File(node);

    /// <summary>What every agent printed last (for a failure message).</summary>
    public string Tails(int lines) =>
        string.Join("\n", _sites.Select(s => $"--- {s.Site} ({s.Agent.LogPath}):\n{s.Agent.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var site in _sites)
        {
            await site.Agent.DisposeAsync();
            site.Http.Dispose();
        }

        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        Network.Dispose();
    }

    private void Add(int factory, int replica, NetNode node, params string[] args)
    {
        string site = factory == 0 ? $"hq/hub-{replica}" : $"f{factory}/edge-{replica}";
        string dir = SiteDirectory(Dir, node.Name);
        Directory.CreateDirectory(dir);
        string db = Path.Combine(dir, DbFileName);
        var agent = new AgentProcess(site, node, Dir.File(node.Name + ".log"), _agentEnvironment,
        [
            "--db", db, "--site", site,
            "--listen", $"http://0.0.0.0:{SyncPort}", "--http-listen", $"http://127.0.0.1:{HttpPort}",
            .. args,
        ]);
        _sites.Add(new EdgeSite(site, factory, replica, node, db, agent, node.Ns.CreateHttpClient(TimeSpan.FromSeconds(5))));
    }

    private static void Init(EdgeSite site)
    {
        ReplicaDatabase.CreateApplicationTables(site.DbPath);
        Shell.Run(AgentProcess.Executable, "init", "--db", site.DbPath, "--site", site.Site, "--table", "telemetry=append", "--table", "config=lww");
    }
}
