using EdgeSync.Fuzz;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Tests.Fuzz;

/// <summary>
/// A bounded run of each fuzz target (tests/EdgeSync.Fuzz) with fixed seeds: a few seconds each in the suite. Long runs:
/// <c>dotnet run -c Release --project tests/EdgeSync.Fuzz -- --target all --seconds 600</c>. A failure prints the input's
/// seed and index and saves it under the test's output directory for <c>--replay</c>.
/// </summary>
public sealed class FuzzTests
{
    private static readonly BatchLimits SuiteLimits = new() { MaxEncodedBytes = 1024 * 1024, MaxDecodedBytes = 4 * 1024 * 1024, MaxCells = 250_000 };

    private static FuzzRunOptions Options(int seed, long inputs) => new()
    {
        Seed = seed,
        MaxInputs = inputs,
        FailureDirectory = Path.Combine(AppContext.BaseDirectory, "fuzz-failures"),
    };

    private static void AssertPassed(FuzzReport report, long minimumInputs)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.Inputs >= minimumInputs, $"only {report.Inputs} inputs ran: {report}");
        Assert.True(report.Accepted > 0 && report.Refused > 0, $"the generator must reach both outcomes: {report}");
    }

    [Fact]
    public void Decode_FuzzedBatches_AreDecodedOrRefusedAsInvalidBatch_WithinTimeAndMemory()
    {
        using var corpus = BatchCorpus.Create(seed: 11);
        using var target = new DecodeTarget(11, corpus, SuiteLimits);
        AssertPassed(FuzzRunner.Run(target, Options(11, 1_000)), 300);
    }

    [Fact]
    public void Apply_FuzzedBatches_AreAppliedIdempotentlyOrRefusedWhole()
    {
        using var corpus = BatchCorpus.Create(seed: 12);
        using var target = new ApplyTarget(12, corpus);
        AssertPassed(FuzzRunner.Run(target, Options(12, 500)), 200);
    }

    [Fact]
    public void Ingest_FuzzedRequests_AreWrittenOrRefusedAsProblems_NeverAnException()
    {
        using var target = new IngestTarget();
        AssertPassed(FuzzRunner.Run(target, Options(13, 1_000)), 300);
    }

    [Fact]
    public void Mutators_AreDeterministicBySeed()
    {
        using var corpus = BatchCorpus.Create(seed: 14);
        using var a = new DecodeTarget(14, corpus, SuiteLimits);
        for (int i = 0; i < 50; i++)
        {
            int seed = FuzzRunner.InputSeed(14, i);
            Assert.Equal(a.Generate(new Random(seed)), a.Generate(new Random(seed)));
            Assert.Equal(IngestJson.Generate(new Random(seed), 10), IngestJson.Generate(new Random(seed), 10));
        }
    }
}
