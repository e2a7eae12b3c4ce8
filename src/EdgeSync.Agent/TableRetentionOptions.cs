namespace EdgeSync.Agent;

/// <summary>
/// Retention of one <c>append</c> table (<c>EdgeSync:Tables:NAME:Retention</c>): rows older than <see cref="MaxAge"/>,
/// and the oldest rows past <see cref="MaxRows"/>, are deleted in small batches — but only rows that
/// <see cref="Level"/> already holds. At least one limit must be set.
/// </summary>
public sealed record TableRetentionOptions
{
    /// <summary>Rows captured longer ago than this (at their origin, by their clock) may be pruned, e.g. <c>3.00:00:00</c>.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Keep at most about this many rows; the oldest (by clock) go first.</summary>
    public long? MaxRows { get; init; }

    /// <summary>
    /// What must hold a row before it may be deleted here: <c>hub</c> (the default) or <c>exported</c> (the hub's
    /// NATS export holds it; the only level a hub may use); never anything earlier.
    /// </summary>
    public string Level { get; init; } = "hub";
}
