namespace EdgeSync.Simulation;

/// <summary>The true time of one run, in Unix milliseconds; each step advances it by a few milliseconds.</summary>
public sealed class SimTime(long startMs)
{
    public long Ms { get; private set; } = startMs;

    public void Advance(long ms) => Ms += ms;
}
