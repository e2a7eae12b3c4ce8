using EdgeSync.Agent.Internal;
using EdgeSync.Clocks;
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

    /// <summary>
    /// A hub's side of an exchange with a factory: completes the re-offers made by <see cref="Check"/> with what the hub
    /// did not hold when it made them (<see cref="SyncDatabase.ReofferPassed"/>). After the hub's files were put back,
    /// a factory's vector may pass changes of another cluster the hub relayed before, without their rows while the table
    /// was <c>up</c>; the hub gets them back later from their origin, under the origin's clock, and the factory never
    /// asks for them again (topology seed 100). The factory's vector, without its own cluster's origins (the hub never
    /// sends it those), is registered at its first report after the re-offer, before anything is sent to it; every
    /// change the hub holds that a registered vector passed and the re-offer missed is then issued again, once, as a new
    /// change of the hub. <paramref name="peerVector"/>: what the factory reports (a pull's vector, the sender vector of
    /// a batch the hub just applied).
    /// </summary>
    public static void Complete(SyncEndpoint local, string peer, AgentRole peerRole, VersionVector peerVector, CancellationToken cancellationToken)
    {
        if (local.Role != AgentRole.Hub || peerRole != AgentRole.Factory || !local.Db.WatchesReoffers)
        {
            return; // the common case: no table was ever re-offered here, so nothing is built or read
        }

        string cluster = DirectionFilter.ClusterOf(peer);
        var passed = VersionVector.From(peerVector.Where(e => !string.Equals(DirectionFilter.ClusterOf(e.Key), cluster, StringComparison.Ordinal)));
        int rows = local.Db.ReofferPassed(peer, passed, cancellationToken);
        if (rows > 0)
        {
            local.Reoffered?.Invoke(peer, rows);
            local.Changed?.Notify();
        }
    }
}
