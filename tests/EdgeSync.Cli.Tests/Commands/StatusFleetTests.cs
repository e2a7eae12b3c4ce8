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

    [Fact]
    public void Fleet_OverHttps_WithTheFleetsCertificate_InsteadOfAToken()
    {
        string ca = _dir.File("ca"), rogueCa = _dir.File("rogue-ca");
        Assert.Equal(0, CliRunner.Run("certs", "ca", "--out", ca).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "ca", "--out", rogueCa).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", ca, "--site", "hq", "--out", _dir.File("hq-tls")).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", ca, "--site", "ops/laptop", "--out", _dir.File("ops-tls")).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", rogueCa, "--site", "ops/laptop", "--out", _dir.File("rogue-tls")).ExitCode);
        File.WriteAllText(_dir.File("token"), Token);
        string hq = Init("hq", "hq");
        var hub = _agents.Serve("https://127.0.0.1:0", "https://127.0.0.1:0",
            ["--db", hq, "--role", "hub", "--token-file", _dir.File("token"), .. Tls(_dir.File("hq-tls"))]);
        Assert.StartsWith("https://", hub.Http, StringComparison.Ordinal);

        var ok = CliRunner.Run(["status", "--fleet", "--peer", hub.Http, .. Tls(_dir.File("ops-tls"))]);
        Assert.True(ok.ExitCode == ExitCodes.Ok, ok.Stderr);
        Assert.Contains("no problems", ok.Stdout, StringComparison.Ordinal);
        Assert.Contains(ok.StdoutLines, l => l.Contains("hq", StringComparison.Ordinal) && l.Contains("hub", StringComparison.Ordinal));

        // A certificate of another CA: the agent's certificate is not trusted, and nothing is sent.
        var rogue = CliRunner.Run(["status", "--fleet", "--peer", hub.Http, .. Tls(_dir.File("rogue-tls"))]);
        Assert.Equal(ExitCodes.IoError, rogue.ExitCode);
        Assert.Contains("refused", rogue.Stderr, StringComparison.Ordinal);
        Assert.Contains("--tls-ca", rogue.Stderr, StringComparison.Ordinal);

        var plain = CliRunner.Run(["status", "--fleet", "--peer", hub.Http.Replace("https://", "http://", StringComparison.Ordinal), .. Tls(_dir.File("ops-tls"))]);
        Assert.Equal(ExitCodes.UsageError, plain.ExitCode);
        Assert.Contains("need an https:// peer URL", plain.Stderr, StringComparison.Ordinal);
        var half = CliRunner.Run("status", "--fleet", "--peer", hub.Http, "--tls-cert", Path.Combine(_dir.File("ops-tls"), "tls.crt"));
        Assert.Equal(ExitCodes.UsageError, half.ExitCode);
        var local = CliRunner.Run(["status", "--db", hq, .. Tls(_dir.File("ops-tls"))]);
        Assert.Equal(ExitCodes.UsageError, local.ExitCode);
    }

    private static string[] Tls(string dir) => ["--tls-cert", Path.Combine(dir, "tls.crt"), "--tls-key", Path.Combine(dir, "tls.key"), "--tls-ca", Path.Combine(dir, "ca.crt")];

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
