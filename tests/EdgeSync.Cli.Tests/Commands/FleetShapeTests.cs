using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// The seed's fleet in small: an HQ hub and 5 factories of 3 replicas (16 real agents, gRPC on loopback) through
/// <c>edgesync demo</c>. Every site converges and HQ's config change reaches every factory replica; the propagation
/// percentiles and what the agents cost are printed, not asserted. The full size is on demand:
/// <c>edgesync demo --factories 50 --replicas 3</c> (docs/benchmarks.md).
/// </summary>
public sealed class FleetShapeTests : IDisposable
{
    private const int Factories = 5;
    private const int Replicas = 3;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void FiveFactoriesOfThreeReplicas_Converge_AndHqsConfigChangeReachesEveryReplica()
    {
        var result = CliRunner.Run("demo", "--factories", $"{Factories}", "--replicas", $"{Replicas}", "--seconds", "6", "--rate", "600", "--dir", _dir.Path);

        var lines = result.StdoutLines;
        foreach (var line in lines.Where(l => l.StartsWith("config ", StringComparison.Ordinal) || l.StartsWith("resources", StringComparison.Ordinal)
            || l.StartsWith("time to converge", StringComparison.Ordinal)))
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }

        Assert.True(result.ExitCode == ExitCodes.Ok, $"exit {result.ExitCode}: {result.Stderr}\n{string.Join('\n', lines)}");
        Assert.Contains(lines, l => l.StartsWith($"Converged: HQ and all {Factories * Replicas} factory replicas hold what they should", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("config propagation  ", StringComparison.Ordinal)
            && l.EndsWith($" s (HQ's change reached all {Factories * Replicas} factory replicas)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("config per replica  p50 ", StringComparison.Ordinal)
            && l.EndsWith($"({Factories * Replicas} factory replicas)", StringComparison.Ordinal));

        // What a user checks on the files: every replica holds HQ's change, and each factory's replicas agree.
        using var hq = new AppDatabase(_dir.File("hq/plant.db"));
        for (int f = 1; f <= Factories; f++)
        {
            string? first = null;
            for (int r = 0; r < Replicas; r++)
            {
                using var replica = new AppDatabase(_dir.File($"factory-{f:D3}/edge-{r}/plant.db"));
                Assert.Equal("250", replica.Scalar("SELECT value FROM config WHERE key = 'sampling_interval_ms'"));
                string checksum = replica.Checksum();
                first ??= checksum;
                Assert.Equal(first, checksum);
                Assert.Equal(replica.Scalar("SELECT count(*) FROM telemetry"), hq.Scalar("SELECT count(*) FROM telemetry WHERE id / 1000000000000 = $1", f));
            }
        }
    }
}
