using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Simulation;

/// <summary>
/// Makes the engine fail at its fault points (<see cref="FaultPoints"/>), drawn from the run's seed: SQLite's
/// <c>SQLITE_FULL</c> (13) or <c>SQLITE_IOERR</c> (10), as a full or failing disk reports them, or a crash of the
/// process inside the open transaction (<see cref="SimulatedCrash"/>). Remembers the last fault it raised so the run
/// can tell an injected failure from a real one.
/// </summary>
public sealed class FaultInjector(Random rng)
{
    /// <summary>One hit in this many fails while <see cref="Armed"/>.</summary>
    public int OneIn { get; set; } = 40;

    public bool Armed { get; set; }

    /// <summary>The point and kind of the last fault raised, cleared by the caller before each engine call.</summary>
    public string? Fired { get; set; }

    /// <summary>How many faults were raised per point and kind over the run.</summary>
    public Dictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

    public IDisposable Install() => FaultPoints.Install(Hit);

    private void Hit(string point)
    {
        if (!Armed || rng.Next(OneIn) != 0)
        {
            return;
        }

        int kind = rng.Next(3);
        Fired = point + (kind switch { 0 => " SQLITE_FULL", 1 => " SQLITE_IOERR", _ => " crash" });
        Counts[Fired] = Counts.GetValueOrDefault(Fired) + 1;
        throw kind switch
        {
            0 => new SqliteException("database or disk is full (injected)", 13),
            1 => new SqliteException("disk I/O error (injected)", 10),
            _ => new SimulatedCrash(point),
        };
    }
}

/// <summary>The process died at a fault point: nothing after it runs, and the open transaction never commits.</summary>
public sealed class SimulatedCrash(string point) : Exception($"process killed at fault point '{point}'");
