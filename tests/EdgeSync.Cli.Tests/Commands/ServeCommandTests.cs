using System.Diagnostics;
using System.Net.Http.Json;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>`edgesync serve` as real processes: two agents on loopback sync a row written by a plain SQLite client.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<Process> _agents = [];

    public void Dispose()
    {
        foreach (var p in _agents)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        _dir.Dispose();
    }

    private (string Grpc, string Http) Serve(params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "edgesync.exe" : "edgesync");
        Assert.SkipUnless(File.Exists(apphost), $"the edgesync executable is not next to the tests ({apphost})");
        var psi = new ProcessStartInfo(apphost, ["serve", .. args, "--listen", "http://127.0.0.1:0", "--http-listen", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var p = Process.Start(psi)!;
        _agents.Add(p);
        string? grpc = null, http = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((grpc is null || http is null) && DateTime.UtcNow < deadline)
        {
            var line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("agent exited: " + p.StandardError.ReadToEnd());
            if (line.Contains("sync (gRPC)", StringComparison.Ordinal))
            {
                grpc = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
            }
            else if (line.TrimStart().StartsWith("http ", StringComparison.Ordinal))
            {
                http = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            }
        }

        Assert.True(grpc is not null && http is not null, "the agent did not print its addresses within 30 s");
        _ = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken); // keep draining so the agent never blocks on a full pipe
        _ = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        return (grpc!, http!);
    }

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
