using EdgeSync.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Deploy.Tests.Support;

/// <summary>
/// Two real agents in this process on 127.0.0.1, each the other's peer (as replicas of one StatefulSet are). Both databases
/// wrote the same settings row before they met, so their first exchange resolves conflicts on both sides. B also
/// has a peer that never answers.
/// </summary>
public sealed class AgentPair : IAsyncDisposable
{
    private static int _pairs;

    private AgentPair()
    {
        // Agents in one process share the static meter: each pair gets its own site ids so their series never collide.
        int n = Interlocked.Increment(ref _pairs);
        SiteA = $"e2e-{n}/sqlite-edge-0";
        SiteB = $"e2e-{n}/sqlite-edge-1";
    }

    public string SiteA { get; }

    public string SiteB { get; }

    private readonly TempDir _dir = new();
    private WebApplication? _a;
    private WebApplication? _b;

    public string HttpA { get; private set; } = "";

    public string HttpB { get; private set; } = "";

    public static async Task<AgentPair> StartAsync(CancellationToken cancellationToken)
    {
        var pair = new AgentPair();
        string a = pair._dir.File("a/app.db");
        string b = pair._dir.File("b/app.db");
        foreach (var (path, value) in new[] { (a, "from-a"), (b, "from-b") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var c = new SqliteConnection($"Data Source={path};Pooling=false");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE readings(id INTEGER PRIMARY KEY, machine TEXT NOT NULL, value REAL); "
                + "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);";
            cmd.ExecuteNonQuery();
        }

        string grpcA = $"http://127.0.0.1:{ClosedPort()}";
        string grpcB = $"http://127.0.0.1:{ClosedPort()}";
        // Both write the same row before either agent starts (captured when sync is enabled at start), so the writes are
        // concurrent whatever the timing of the first exchange.
        Write(a, "from-a");
        Write(b, "from-b");
        pair._a = Create(pair, a, pair.SiteA, grpcA, peer: grpcB);
        await pair._a.StartAsync(cancellationToken);
        pair.HttpA = AgentHost.Addresses(pair._a).Http[0];
        // B also has a peer that never answers (a closed loopback port), so the error counters move too.
        pair._b = Create(pair, b, pair.SiteB, grpcB, peer: grpcA, deadPeer: $"http://127.0.0.1:{ClosedPort()}");
        await pair._b.StartAsync(cancellationToken);
        pair.HttpB = AgentHost.Addresses(pair._b).Http[0];
        return pair;
    }

    /// <summary>Stops agent B (as if its pod died); A keeps running.</summary>
    public async Task StopBAsync()
    {
        if (_b is { } b)
        {
            _b = null;
            await b.StopAsync(CancellationToken.None);
            await b.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopBAsync();
        if (_a is { } a)
        {
            _a = null;
            await a.StopAsync(CancellationToken.None);
            await a.DisposeAsync();
        }

        _dir.Dispose();
    }

    private static void Write(string path, string value)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=false;Default Timeout=30");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO settings(key, value) VALUES ('line-speed', $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value; "
            + "INSERT INTO readings(machine, value) VALUES ('press-1', 1.5);";
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A loopback port nothing listens on right now (free for an agent to bind, or to stand for a dead peer).</summary>
    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static WebApplication Create(AgentPair pair, string path, string site, string listen, string peer, string? deadPeer = null) => AgentHost.Create([], new AgentLaunchSettings
    {
        Databases = [path],
        Site = site,
        Listen = [listen],
        HttpListen = ["http://127.0.0.1:0"],
        Peers = deadPeer is null ? [peer] : [peer, deadPeer],
        Settings = new Dictionary<string, string?>
        {
            ["EdgeSync:Tables:readings:Policy"] = "append",
            ["EdgeSync:Tables:settings:Policy"] = "lww",
            ["EdgeSync:SyncIntervalMs"] = "300",
            ["EdgeSync:RetryBaseDelayMs"] = "50",
            ["EdgeSync:RetryMaxDelayMs"] = "400",
            ["EdgeSync:CallTimeoutMs"] = "2000",
            ["EdgeSync:BackupDirectory"] = pair._dir.File(site.Replace('/', '-') + "-backups"),
            ["EdgeSync:BackupIntervalMinutes"] = "0.01",
            ["EdgeSync:DivergenceCheckMinutes"] = "0.01", // edgesync_divergence is exported once a content check ran
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
            ["Logging:LogLevel:Grpc"] = "Error",
        },
    });
}
