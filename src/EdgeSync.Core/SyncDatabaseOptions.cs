using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync;

/// <summary>Options for <see cref="SyncDatabase.Open"/>. Immutable; every value has a usable default.</summary>
public sealed record SyncDatabaseOptions
{
    /// <summary>
    /// This replica's site id, stored in the database the first time it is opened (required then) and checked on
    /// later opens. Unique across the fleet, e.g. "factory-001/sqlite-edge-0".
    /// </summary>
    public string? SiteId { get; init; }

    /// <summary>How long a write waits for another process's write lock before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most rows in one extracted batch.</summary>
    public int MaxBatchRows { get; init; } = 20_000;

    /// <summary>Approximate most bytes of values in one extracted batch.</summary>
    public long MaxBatchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// How often <see cref="SyncDatabase.Capture"/> checks append tables for rows inserted below rows already
    /// captured (the append audit). Such rows sync up to this much later.
    /// </summary>
    public TimeSpan AppendAuditInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How far ahead of this replica's wall clock a remote change's HLC may be. A batch carrying a clock further in the
    /// future is refused whole (<see cref="Errors.InvalidBatchException"/>): accepting it would drag every later local
    /// write's clock forward with it, so its writes would win every conflict for as long as the drift lasts. When this
    /// replica's own HLC is further ahead of its wall clock than this (its clock ran ahead and was set right), it
    /// continues as a new incarnation with its writes re-stamped at the present, so they are accepted again.
    /// </summary>
    public TimeSpan MaxClockDrift { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether this replica may originate a change, in its topology: called as (this replica's site id, table, the
    /// origin site the change's clock names) when its clock was set right (<see cref="MaxClockDrift"/>) and it holds
    /// clocks from the future, its own or relayed. A change it may originate is re-stamped at the present under its new
    /// incarnation, as its own write; one it may not (a factory: another cluster's row, a row of a table that flows only
    /// from the hub; a hub: a factory's row of a table that flows only to the hub) is withheld: the value stays, its
    /// clock orders below every write and the event is disclaimed, so the origin's side sends its own version back and
    /// that wins (docs/design.md §6b, rule 5). Null (the default): every change may be re-stamped here, right wherever
    /// every replica exchanges every change with every other.
    /// </summary>
    public OriginatePredicate? MayOriginate { get; init; }

    /// <summary>Clock source (tests substitute a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the engine logs.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>
    /// Where the engine counts (captured, applied, extracted, …, tagged by database). A host passes one instance built
    /// from its <see cref="System.Diagnostics.Metrics.IMeterFactory"/> to every database it opens and disposes it
    /// itself. Null (the default): the database creates a private one (its own "EdgeSync" meter) and disposes it when closed.
    /// </summary>
    public Diagnostics.EdgeSyncMetrics? Metrics { get; init; }
}
