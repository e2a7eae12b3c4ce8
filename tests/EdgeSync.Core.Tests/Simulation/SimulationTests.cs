namespace EdgeSync.Tests.Simulation;

/// <summary>
/// Seeded property test of the whole engine. Replay one seed with
/// <c>EDGESYNC_SEED=1234 dotnet test --project tests/EdgeSync.Core.Tests -- --filter-method "*Replicas_Converge*"</c>;
/// run more with <c>EDGESYNC_SEEDS=500</c>.
/// </summary>
public sealed class SimulationTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("EDGESYNC_SEED"), out int one))
        {
            data.Add(one);
            return data;
        }

        int count = int.TryParse(Environment.GetEnvironmentVariable("EDGESYNC_SEEDS"), out int n) ? n : 40;
        for (int s = 1; s <= count; s++)
        {
            data.Add(s);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomConcurrentWrites_LossyReorderingNetwork_Replicas_Converge(int seed)
    {
        using var sim = new SyncSimulation(seed);
        sim.Run(steps: 150);
    }
}
