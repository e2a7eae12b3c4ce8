namespace EdgeSync.Simulation;

/// <summary>
/// Clocks far behind (issue 15): one time in two, a clock the nemesis sets behind goes 6–30 minutes behind instead of
/// within the tolerance (an NTP server that stepped it back, an RTC that lost time over a reboot), past
/// <c>MaxClockDrift</c> + 1 min, on whichever replica the nemesis picked (a factory replica or the hub), and is set
/// right 5–40 steps later (or earlier, by the clock nemesis, or at the heal). Drawn from a random stream of its own, and
/// the main stream draws what it drew before, so a seed runs as it did up to its first clock set far behind, and a
/// seed that sets none (five in six at 120 steps) runs exactly as before; after one, what the replicas do differs, and
/// with it the rest of the run. With <see cref="ClockFar"/> (the runner's <c>--clock-far</c>), every clock the nemesis
/// sets behind goes far behind: the coin is not drawn, so the far stream differs from the default's.
/// </summary>
public sealed partial class TopologySimulation
{
    private readonly Dictionary<int, int> _setRightAt = [];
    private Random? _behindRng;
    private int _step;

    /// <summary>When set, every clock the nemesis sets behind goes 6–30 minutes behind (not one time in two). Off by
    /// default, and then no schedule changes.</summary>
    public bool ClockFar { get; init; }

    /// <summary>Clocks set 6–30 minutes behind over the run, on factory replicas and on the hub.</summary>
    public (int Factory, int Hub) FarBehind { get; private set; }

    private Random BehindRng => _behindRng ??= new Random(_seed * 13 + 5);

    /// <summary>The offset of a clock set behind. The tolerance's offset is drawn from the main stream as before, so it
    /// stays as it was; the far one replaces it one time in two.</summary>
    private long Behind(int i)
    {
        long withinTolerance = -_rng.Next(1, 240) * 1_000L;
        if (!ClockFar && BehindRng.Next(2) == 0)
        {
            return withinTolerance;
        }

        _setRightAt[i] = _step + BehindRng.Next(5, 41);
        FarBehind = i == 0 ? FarBehind with { Hub = FarBehind.Hub + 1 } : FarBehind with { Factory = FarBehind.Factory + 1 };
        return -BehindRng.Next(6 * 60, 30 * 60 + 1) * 1_000L;
    }

    /// <summary>Sets right the clocks whose time has come, at the start of step <paramref name="step"/>.</summary>
    private void SetRightDue(int step)
    {
        _step = step;
        foreach (var (i, _) in _setRightAt.Where(e => e.Value <= step).ToList())
        {
            _setRightAt.Remove(i);
            _nodes[i].Site.Clock.OffsetMs = 0;
            _trace.Append($"clock {i} set right; ");
        }
    }
}
