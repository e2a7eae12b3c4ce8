namespace EdgeSync.Fuzz;

/// <summary>The result of a fuzz run of one target.</summary>
public sealed record FuzzReport(
    string Target, int Seed, long Inputs, long Accepted, long Refused, IReadOnlyList<FuzzFinding> Findings,
    TimeSpan Elapsed, TimeSpan SlowestInput, long MostAllocatedBytes)
{
    /// <summary>True when no invariant broke.</summary>
    public bool Passed => Findings.Count == 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Target}: {Inputs} inputs (seed {Seed}) in {Elapsed.TotalSeconds:0.0} s, {Accepted} accepted, {Refused} refused, "
        + $"{Findings.Count} failed; slowest input {SlowestInput.TotalMilliseconds:0} ms, most allocated {MostAllocatedBytes / 1024.0 / 1024:0.0} MiB"
        + string.Concat(Findings.Select(f => "\n" + f));
}
