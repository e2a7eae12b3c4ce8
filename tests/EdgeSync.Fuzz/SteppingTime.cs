namespace EdgeSync.Fuzz;

/// <summary>A clock that starts at a fixed instant and advances one millisecond per reading, so runs are repeatable.</summary>
public sealed class SteppingTime : TimeProvider
{
    private long _ticks;

    /// <summary>Starts at <paramref name="start"/>.</summary>
    public SteppingTime(DateTimeOffset start) => _ticks = start.UtcTicks;

    /// <summary>2026-01-01T00:00:00Z.</summary>
    public static DateTimeOffset Epoch { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() =>
        new(Interlocked.Add(ref _ticks, TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
