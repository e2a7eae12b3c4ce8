using System.Diagnostics;
using System.Globalization;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Demo_SmallFleet_ConvergesAndPrintsSummary()
    {
        var result = CliRunner.Run("demo", "--factories", "2", "--replicas", "2", "--seconds", "3", "--rate", "300");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var lines = result.StdoutLines;
        Assert.Contains(lines, l => l.StartsWith("EdgeSync demo: an HQ hub and 2 factories of 2 replicas, 5 real agents", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("1s ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("2s ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Converged: HQ and all 4 factory replicas hold what they should", StringComparison.Ordinal));
        Assert.Contains("factories           2", lines);
        Assert.Contains(lines, l => l.StartsWith("replicas            2 per factory", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("conflicts resolved  ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("time to converge    ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("config propagation  ", StringComparison.Ordinal) && l.EndsWith(" s (HQ's change reached all 4 factory replicas)", StringComparison.Ordinal));

        var rows = lines.Single(l => l.StartsWith("rows ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long written = long.Parse(rows[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(written, 800, 900); // 3 s at 300 rows/s; a post the agent answers 503 is not counted
        Assert.Contains($"{rows[1]} at HQ;", string.Join(' ', rows), StringComparison.Ordinal);

        var checksums = Checksums(lines);
        Assert.Equal(["hq", "factory-001/sqlite-edge-0", "factory-001/sqlite-edge-1", "factory-002/sqlite-edge-0", "factory-002/sqlite-edge-1"], checksums.Keys);
        Assert.Equal(checksums["factory-001/sqlite-edge-0"], checksums["factory-001/sqlite-edge-1"]);
        Assert.Equal(checksums["factory-002/sqlite-edge-0"], checksums["factory-002/sqlite-edge-1"]);
        Assert.NotEqual(checksums["factory-001/sqlite-edge-0"], checksums["factory-002/sqlite-edge-0"]); // each holds its own telemetry only
    }

    [Fact]
    public void Demo_WithTls_ConvergesOverMutualTls_WithCertificatesPerCluster()
    {
        var result = CliRunner.Run("demo", "--tls", "--factories", "2", "--replicas", "2", "--seconds", "2", "--rate", "200", "--dir", _dir.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var lines = result.StdoutLines;
        Assert.Contains(lines, l => l.Contains("(gRPC sync over mutual TLS, HTTP ingest with a bearer token)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hq ", StringComparison.Ordinal) && l.Contains("sync https://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Converged: HQ and all 4 factory replicas hold what they should", StringComparison.Ordinal));
        using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(_dir.File("certs/factory-002/tls.crt"));
        Assert.Equal(new EdgeSync.Agent.Security.CertificateIdentity("factory-002", null), EdgeSync.Agent.Security.SiteCertificate.IdentityOf(cert));
        var checksums = Checksums(lines);
        Assert.Equal(checksums["factory-001/sqlite-edge-0"], checksums["factory-001/sqlite-edge-1"]);
    }

    [Fact]
    public void Demo_WithDir_KeepsSitesWhereDirectionsHeld_AndTheOtherCommandsReadThem()
    {
        var result = CliRunner.Run("demo", "--factories", "2", "--replicas", "2", "--seconds", "2", "--rate", "200", "--dir", _dir.Path);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);

        using var hq = new AppDatabase(_dir.File("hq/plant.db"));
        long atHq = (long)hq.Scalar("SELECT count(*) FROM telemetry")!;
        long sum = 0;
        for (int f = 1; f <= 2; f++)
        {
            using var edge0 = new AppDatabase(_dir.File($"factory-00{f}/edge-0/plant.db"));
            using var edge1 = new AppDatabase(_dir.File($"factory-00{f}/edge-1/plant.db"));
            Assert.Equal(edge0.Checksum(), edge1.Checksum());
            long own = (long)edge0.Scalar("SELECT count(*) FROM telemetry WHERE id / 1000000000000 = $1", f)!;
            Assert.Equal(own, edge0.Scalar("SELECT count(*) FROM telemetry")); // telemetry flows up only: no other factory's rows
            Assert.Equal(own, hq.Scalar("SELECT count(*) FROM telemetry WHERE id / 1000000000000 = $1", f));
            Assert.Equal("250", edge1.Scalar("SELECT value FROM config WHERE key = 'sampling_interval_ms'")); // HQ's change flowed down
            Assert.Equal(hq.Scalar("SELECT group_concat(machine || state, ',') FROM (SELECT * FROM machine_state ORDER BY machine)"),
                edge1.Scalar("SELECT group_concat(machine || state, ',') FROM (SELECT * FROM machine_state ORDER BY machine)"));
            sum += own;
        }

        Assert.Equal(atHq, sum);
        Assert.InRange(sum, 300, 400);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("status", "--db", hq.Path).ExitCode);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("conflicts", "--db", _dir.File("factory-001/edge-1/plant.db")).ExitCode);

        var again = CliRunner.Run("demo", "--seconds", "1", "--dir", _dir.Path);
        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Contains("already holds hq/plant.db", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_Cancelled_StopsPromptlyWithCancelledExitCode()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancellation.CancelAfter(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        var result = CliRunner.Run(cancellation.Token, "demo", "--seconds", "60", "--dir", _dir.Path);

        Assert.Equal(ExitCodes.Cancelled, result.ExitCode);
        Assert.Equal("edgesync: cancelled", result.Stderr.Trim());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30)); // a hang guard (cancelled at 2 s), not a latency bound
    }

    [Theory]
    [InlineData("--factories", "0")]
    [InlineData("--factories", "101")]
    [InlineData("--replicas", "0")]
    [InlineData("--seconds", "0")]
    [InlineData("--rate", "-5")]
    [InlineData("--rate", "lots")]
    public void Demo_OutOfRangeSetting_IsUsageError(string option, string value)
    {
        var result = CliRunner.Run("demo", option, value);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.StartsWith("edgesync: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The summary's checksum lines: site → checksum prefix, in the order printed.</summary>
    private static Dictionary<string, string> Checksums(string[] lines)
    {
        int at = Array.IndexOf(lines, "checksums");
        Assert.True(at >= 0, "the summary lists checksums");
        return lines.Skip(at + 1)
            .TakeWhile(l => l.StartsWith("hq ", StringComparison.Ordinal) || l.StartsWith("factory-", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(p => p[0], p => p[1]);
    }
}
