namespace EdgeSync.Fuzz;

/// <summary>How long and how a fuzz run goes. Input <c>i</c> of seed <c>s</c> is always the same input.</summary>
public sealed record FuzzRunOptions
{
    /// <summary>The run's seed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Stop after this many inputs (null: no count limit).</summary>
    public long? MaxInputs { get; init; }

    /// <summary>Stop after this long (null: no time limit).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Where failing inputs are written (null: not written).</summary>
    public string? FailureDirectory { get; init; }

    /// <summary>Longest one input may take before it counts as a finding (unbounded work per input).</summary>
    public TimeSpan MaxInputTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop at the first finding.</summary>
    public bool StopAtFirstFailure { get; init; }

    /// <summary>Progress lines every this often (null: silent).</summary>
    public TimeSpan? ProgressInterval { get; init; }
}
