using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// A hub withholds an <c>up</c> table's changes from factories, and their vectors still pass them (see
/// <see cref="DirectionFilter"/>), so opening the table towards factories later (<c>up</c> → <c>both</c> or
/// <c>down</c>) would send only what is written from then on. The hub records each table's direction in the database;
/// when it finds one opened since its last run, it re-offers the table's whole state (<see cref="SyncDatabase.ReofferTable"/>)
/// before any conversation starts, so every factory receives the history it was denied.
/// </summary>
internal static class DirectionHistory
{
    public static void Check(SyncDatabase db, string database, AgentOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var (table, t) in options.Tables)
        {
            // The new direction is recorded only after the re-offer it calls for: recorded first, a re-offer that
            // failed (a full disk, a crash) was never made again, and the factories never got the history (topology
            // simulation seeds 189 and 1181 at 120 steps). A re-offer made twice only issues the rows again.
            var previous = db.RecordedDirection(table);
            if (options.EffectiveRole == AgentRole.Hub && previous == nameof(SyncDirection.Up)
                && DirectionFilter.Allows(t.Direction, AgentRole.Hub, AgentRole.Factory))
            {
                int rows = db.ReofferTable(table, cancellationToken);
                Log.DirectionOpened(logger, database, table, t.Direction.ToString(), rows);
            }

            db.RecordDirection(table, t.Direction.ToString(), cancellationToken);
        }
    }
}
