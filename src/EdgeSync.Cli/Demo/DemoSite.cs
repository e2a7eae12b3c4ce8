using EdgeSync.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// One site of the demo fleet: the HQ hub or one replica of a factory. Its plant database file and, once started, a
/// real agent hosted in this process (its own Kestrel on 127.0.0.1, its own ports).
/// </summary>
internal sealed class DemoSite : IAsyncDisposable
{
    /// <summary>How long a stopping agent may take to finish its streams before Kestrel cuts them.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private WebApplication? _app;

    private DemoSite(string site, int factory, int replica, string path)
    {
        Site = site;
        Factory = factory;
        Replica = replica;
        Path = path;
    }

    /// <summary>The site id, e.g. <c>hq</c> or <c>factory-001/sqlite-edge-0</c>.</summary>
    public string Site { get; }

    /// <summary>1-based factory number; 0 for HQ.</summary>
    public int Factory { get; }

    /// <summary>Replica index within the factory; 0 for HQ.</summary>
    public int Replica { get; }

    public bool IsHub => Factory == 0;

    /// <summary>The plant database file (same file name on every site).</summary>
    public string Path { get; }

    /// <summary>The agent's sync (gRPC) URL, which peers and factories point at.</summary>
    public string SyncUrl { get; private set; } = "";

    /// <summary>The agent's HTTP/1.1 URL: ingest, <c>/metrics</c>, <c>/healthz/*</c>.</summary>
    public string HttpUrl { get; private set; } = "";

    public static string FactoryName(int factory) => $"factory-{factory:000}";

    public static DemoSite Hub(string directory) =>
        new("hq", 0, 0, System.IO.Path.Combine(directory, "hq", FleetSchema.DatabaseFile));

    public static DemoSite FactoryReplica(string directory, int factory, int replica) =>
        new($"{FactoryName(factory)}/sqlite-edge-{replica}", factory, replica,
            System.IO.Path.Combine(directory, FactoryName(factory), $"edge-{replica}", FleetSchema.DatabaseFile));

    /// <summary>Creates the database as the application would: its tables (and for HQ, its initial configuration).</summary>
    public void CreateDatabase()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = SiteDatabase.Open(Path, SqliteOpenMode.ReadWriteCreate);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = FleetSchema.Schema;
        cmd.ExecuteNonQuery();
        if (IsHub)
        {
            cmd.CommandText = "INSERT INTO config(key, value, updated_by) VALUES ($k, $v, 'hq')";
            var key = cmd.Parameters.Add("$k", SqliteType.Text);
            var value = cmd.Parameters.Add("$v", SqliteType.Text);
            foreach (var (k, v) in FleetSchema.InitialConfig)
            {
                key.Value = k;
                value.Value = v;
                cmd.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// Starts this site's agent: HQ as the hub (<paramref name="hubUrl"/> null, no siblings); a factory replica meshed
    /// with <paramref name="siblings"/> and, when <paramref name="hubUrl"/> is set, syncing with the hub as a factory
    /// (without it, a plain mesh peer). With <paramref name="certificates"/>, over mutual TLS with its cluster's certificate.
    /// </summary>
    public async Task StartAsync(string? hubUrl, IReadOnlyList<string> siblings, int agents, DemoCertificates? certificates, CancellationToken cancellationToken)
    {
        string cluster = IsHub ? "hq" : FactoryName(Factory);
        var settings = FleetSchema.AgentSettings(cluster, agents);
        foreach (var (key, value) in certificates?.Settings(cluster) ?? [])
        {
            settings[key] = value;
        }

        var app = AgentHost.Create(FleetSchema.HostArgs, new AgentLaunchSettings
        {
            Databases = [Path],
            Site = Site,
            Listen = [certificates is null ? "http://127.0.0.1:0" : "https://127.0.0.1:0"],
            HttpListen = ["http://127.0.0.1:0"],
            Peers = siblings,
            Hub = hubUrl,
            Role = IsHub ? AgentRole.Hub : hubUrl is null ? AgentRole.Peer : AgentRole.Factory,
            Settings = settings,
        });
        _app = app;
        await app.StartAsync(cancellationToken);
        var addresses = AgentHost.Addresses(app);
        SyncUrl = addresses.Grpc[0];
        HttpUrl = addresses.Http[0];
    }

    /// <summary>Stops the agent (its loops finish the batch in flight, then the database closes). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is not { } app)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
    }
}
