namespace EdgeSync.Fuzz;

/// <summary>One failing input: which one, what broke, and where it was saved for <c>--replay</c>.</summary>
public sealed record FuzzFinding(string Target, int Seed, long Index, string Problem, string? SavedTo)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"[{Target}] seed {Seed} input {Index}: {Problem}"
        + (SavedTo is null ? "" : $"\n  replay: dotnet run -c Release --project tests/EdgeSync.Fuzz -- --target {Target} --replay {SavedTo}");
}
