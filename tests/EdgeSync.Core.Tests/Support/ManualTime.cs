namespace EdgeSync.Tests.Support;

/// <summary>A clock the test sets by hand: the wall clock of one replica (skewed, fixed, moved).</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
