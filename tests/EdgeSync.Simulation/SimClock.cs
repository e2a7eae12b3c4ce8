namespace EdgeSync.Simulation;

/// <summary>
/// One site's wall clock in a run: the run's true time plus this site's offset. The nemesis skews it and makes it jump
/// forward (an NTP step, a bad RTC) and back (the clock set right); the engine reads it through
/// <see cref="SyncDatabaseOptions.Time"/>, its only clock.
/// </summary>
public sealed class SimClock(SimTime world) : TimeProvider
{
    /// <summary>How far this site's clock is from the true time, in milliseconds (negative: behind).</summary>
    public long OffsetMs { get; set; }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(world.Ms + OffsetMs);
}
