using System.Net.Http.Json;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>`edgesync serve` as real processes: two agents on loopback sync a row written by a plain SQLite client.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    private (string Grpc, string Http) Serve(params string[] args) => _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", args);

    [Fact]
    public async Task TwoAgents_SyncAWriteFromAPlainClient_AndServeHealthAndMetrics()
    {
        // Agents match databases by name, as the replicas of a StatefulSet each have /data/<name>.db.
        Directory.CreateDirectory(_dir.File("edge-0"));
        Directory.CreateDirectory(_dir.File("edge-1"));
        string a = _dir.File("edge-0/plant.db"), b = _dir.File("edge-1/plant.db");
        foreach (var (path, site) in new[] { (a, "f1/edge-0"), (b, "f1/edge-1") })
        {
            using var app = new AppDatabase(path);
            Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        var agentA = Serve("--db", a);
        var agentB = Serve("--db", b, "--peer", agentA.Grpc);
        using (var app = new AppDatabase(a))
        {
            app.Exec("INSERT INTO config VALUES ('line', 'running', 'plc')");
            app.Exec("INSERT INTO telemetry VALUES (1, 'plc', 1, 0.5)");
        }

        using var check = new AppDatabase(b);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && (long)check.Scalar("SELECT count(*) FROM telemetry")! == 0)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal("running", check.Scalar("SELECT value FROM config WHERE key = 'line'"));
        Assert.Equal(1L, check.Scalar("SELECT count(*) FROM telemetry"));

        // One round over the network with no agent of its own: a third replica pulls from agent A.
        Directory.CreateDirectory(_dir.File("edge-2"));
        string c = _dir.File("edge-2/plant.db");
        using (var app = new AppDatabase(c))
        {
            Assert.Equal(0, CliRunner.Run("init", "--db", c, "--site", "f1/edge-2", "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        var sync = CliRunner.Run("sync", "--db", c, "--peer", agentA.Grpc);
        Assert.Equal(0, sync.ExitCode);
        Assert.Contains("synced with f1/edge-0", sync.Stdout, StringComparison.Ordinal);
        using (var third = new AppDatabase(c))
        {
            Assert.Equal("running", third.Scalar("SELECT value FROM config WHERE key = 'line'"));
        }

        var unreachable = CliRunner.Run("sync", "--db", c, "--peer", "http://127.0.0.1:9");
        Assert.Equal(4, unreachable.ExitCode);
        Assert.StartsWith("edgesync: peer error", unreachable.Stderr, StringComparison.Ordinal);

        using var http = new HttpClient();
        var ready = await http.GetAsync(new Uri(agentB.Http + "/healthz/ready"), TestContext.Current.CancellationToken);
        Assert.True(ready.IsSuccessStatusCode);
        var metrics = await http.GetStringAsync(new Uri(agentB.Http + "/metrics"), TestContext.Current.CancellationToken);
        Assert.Contains("edgesync_changes_applied", metrics, StringComparison.Ordinal);
    }
}
