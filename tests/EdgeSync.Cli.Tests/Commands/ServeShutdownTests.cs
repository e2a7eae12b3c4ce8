using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// `edgesync serve` stopped as Kubernetes stops a pod: SIGTERM, then SIGKILL after terminationGracePeriodSeconds
/// (60 in deploy/base/statefulset.yaml). The agent must be gone before that, with every database whole and its WAL
/// checkpointed into the file.
/// </summary>
public sealed class ServeShutdownTests : IDisposable
{
    private const int Databases = 200;
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(60);

    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Sigterm_With200DatabasesAndAPeerThatNeverAnswers_ExitsWithEveryDatabaseIntactAndCheckpointed()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "sends SIGTERM with kill(1)");
        var ct = TestContext.Current.CancellationToken;
        string template = _dir.File("template.db");
        using (new AppDatabase(template))
        {
            Assert.Equal(0, CliRunner.Run("init", "--db", template, "--site", "f1/edge-0", "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        Directory.CreateDirectory(_dir.File("data"));
        var paths = Enumerable.Range(0, Databases).Select(i => _dir.File($"data/line-{i:D3}.db")).ToList();
        foreach (var path in paths)
        {
            File.Copy(template, path);
        }

        // A peer that accepts TCP connections (up to its backlog) and never says a word: every handshake hangs.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        string peer = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var (_, http) = _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0",
            [.. paths.SelectMany(p => new[] { "--db", p }), "--site", "f1/edge-0", "--peer", peer]);
        var agent = _agents.Started[^1];

        foreach (var path in new[] { paths[0], paths[^1] })
        {
            using var app = new AppDatabase(path);
            app.Exec("INSERT INTO config VALUES ('line', 'running', 'plc')");
            for (int i = 1; i <= 100; i++)
            {
                app.Exec("INSERT INTO telemetry VALUES ($1, 'plc', $1, 0.5)", i);
            }
        }

        using var client = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !(await client.GetStringAsync(new Uri(http + "/metrics"), ct)).Contains("edgesync_changes_captured", StringComparison.Ordinal))
        {
            await Task.Delay(100, ct);
        }

        var stopwatch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(ct);
            Assert.Equal(0, kill.ExitCode);
        }

        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            grace.CancelAfter(GracePeriod);
            await agent.WaitForExitAsync(grace.Token);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"exited {stopwatch.Elapsed.TotalSeconds:N1} s after SIGTERM with code {agent.ExitCode}");
        Assert.Equal(0, agent.ExitCode);
        foreach (var path in paths)
        {
            var wal = new FileInfo(path + "-wal");
            long walBytes = wal.Exists ? wal.Length : 0;
            Assert.True(walBytes == 0, $"{path}-wal still holds {walBytes} bytes: not checkpointed");
            using var app = new AppDatabase(path);
            Assert.Equal("ok", app.Scalar("PRAGMA integrity_check"));
        }

        foreach (var path in new[] { paths[0], paths[^1] })
        {
            using var app = new AppDatabase(path);
            Assert.Equal(100L, app.Scalar("SELECT count(*) FROM telemetry"));
            Assert.Equal("running", app.Scalar("SELECT value FROM config WHERE key = 'line'"));
        }
    }
}
