using System.Diagnostics;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Demo_SmallFleet_ConvergesAndPrintsSummary()
    {
        var result = CliRunner.Run("demo", "--replicas", "3", "--seconds", "2", "--rate", "500");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var lines = result.StdoutLines;
        Assert.Contains(lines, l => l.StartsWith("1s ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("2s ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Converged: all 3 replicas hold the same data", StringComparison.Ordinal));
        Assert.Contains("replicas            3", lines);
        Assert.Contains(lines, l => l.StartsWith("conflicts resolved  ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("time to converge    ", StringComparison.Ordinal));
        var checksums = lines.Where(l => l.StartsWith("factory-001/sqlite-edge-", StringComparison.Ordinal)).Select(l => l.Split("  ")[1]).ToList();
        Assert.Equal(3, checksums.Count);
        Assert.Single(checksums.Distinct());
        long written = long.Parse(lines.Single(l => l.StartsWith("rows ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(written, 500, 1100); // 2 s at 500 rows/s
    }

    [Fact]
    public void Demo_WithDir_KeepsReplicasThatTheOtherCommandsRead()
    {
        var result = CliRunner.Run("demo", "--replicas", "2", "--seconds", "1", "--rate", "200", "--dir", _dir.Path);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);

        using var edge0 = new AppDatabase(_dir.File("sqlite-edge-0.db"));
        using var edge1 = new AppDatabase(_dir.File("sqlite-edge-1.db"));
        Assert.Equal(edge0.Checksum(), edge1.Checksum());
        Assert.Equal(edge0.Scalar("SELECT count(*) FROM telemetry"), edge1.Scalar("SELECT count(*) FROM telemetry"));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("status", "--db", edge0.Path).ExitCode);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("conflicts", "--db", edge1.Path).ExitCode);

        var again = CliRunner.Run("demo", "--replicas", "2", "--seconds", "1", "--dir", _dir.Path);
        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Contains("already holds sqlite-edge-0.db", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_Cancelled_StopsPromptlyWithCancelledExitCode()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancellation.CancelAfter(TimeSpan.FromSeconds(1.5));
        var clock = Stopwatch.StartNew();

        var result = CliRunner.Run(cancellation.Token, "demo", "--seconds", "60", "--dir", _dir.Path);

        Assert.Equal(ExitCodes.Cancelled, result.ExitCode);
        Assert.Equal("edgesync: cancelled", result.Stderr.Trim());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("--replicas", "1")]
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
}
