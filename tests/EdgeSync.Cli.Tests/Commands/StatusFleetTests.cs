using System.Diagnostics;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary><c>edgesync status --fleet --peer URL</c> against real <c>edgesync serve</c> processes: an HQ hub and a factory.</summary>
public sealed class StatusFleetTests : IDisposable
{
    private const string Token = "status-fleet-token-0123456789";
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Fleet_ListsTheFactory_ThenItsCutFirstAsAProblem()
    {
        File.WriteAllText(_dir.File("token"), Token);
        string hq = Init("hq", "hq"), f1 = Init("f1", "factory-001/sqlite-edge-0");
        var hub = _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", hq, "--role", "hub", "--token-file", _dir.File("token"));
        _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", f1, "--hub", hub.Grpc);

        var unauthenticated = CliRunner.Run("status", "--fleet", "--peer", hub.Http);
        Assert.Equal(ExitCodes.UsageError, unauthenticated.ExitCode);
        Assert.Contains("requires authentication: pass --token", unauthenticated.Stderr, StringComparison.Ordinal);

        CliResult ok = null!;
        await WaitAsync(() => (ok = CliRunner.Run("status", "--fleet", "--peer", hub.Http, "--token", Token)).Stdout.Contains("factory-001", StringComparison.Ordinal),
            "the hub lists factory-001");
        Assert.Equal(ExitCodes.Ok, ok.ExitCode);
        Assert.Contains("no problems", ok.Stdout, StringComparison.Ordinal);
        Assert.Contains(ok.StdoutLines, l => l.Contains("factory-001", StringComparison.Ordinal) && l.Contains("factory", StringComparison.Ordinal)
            && l.Contains("1 ok", StringComparison.Ordinal));
        Assert.Contains(ok.StdoutLines, l => l.Contains("telemetry", StringComparison.Ordinal) && l.Contains("append", StringComparison.Ordinal));

        // The factory's process dies: the problem comes first, with its runbook section, and the exit code says so.
        var factory = _agents.Started[1];
        factory.Kill(entireProcessTree: true);
        await factory.WaitForExitAsync(TestContext.Current.CancellationToken);
        CliResult cut = null!;
        await WaitAsync(() => (cut = CliRunner.Run("status", "--fleet", "--peer", hub.Http, "--token", Token)).ExitCode == ExitCodes.CheckFailed,
            "the hub sees factory-001 cut");
        string text = cut.Stdout;
        Assert.True(text.IndexOf("PROBLEMS (1)", StringComparison.Ordinal) < text.IndexOf("CLUSTERS", StringComparison.Ordinal), text);
        Assert.Contains("EdgeSyncPeerUnreachable", text, StringComparison.Ordinal);
        Assert.Contains("docs/runbook.md#edgesyncpeerunreachable", text, StringComparison.Ordinal);
        Assert.Contains(cut.StdoutLines, l => l.Contains("factory-001/sqlite-edge-0", StringComparison.Ordinal) && l.Contains("cut", StringComparison.Ordinal));

        var detail = CliRunner.Run("status", "--fleet", "--peer", hub.Http, "--token", Token, "--cluster", "factory-009");
        Assert.Equal(ExitCodes.CheckFailed, detail.ExitCode);
        Assert.Contains("404", detail.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Fleet_WithoutPeer_IsAUsageError()
    {
        var result = CliRunner.Run("status", "--fleet");
        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--fleet needs --peer", result.Stderr, StringComparison.Ordinal);
    }

    private string Init(string dir, string site)
    {
        Directory.CreateDirectory(_dir.File(dir));
        string path = _dir.File($"{dir}/plant.db");
        using (new AppDatabase(path))
        {
            Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        return path;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for: {what}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
