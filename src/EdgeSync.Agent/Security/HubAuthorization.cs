using EdgeSync.Agent.Hosting;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Security;

/// <summary>
/// Where a hub applies a batch from a factory (its <c>Push</c> handler, and its own pulls from a factory), the check
/// passed to <see cref="SyncDatabase.Apply(ChangeBatch, string?, Action{ChangeBatch}?, CancellationToken)"/>: runs
/// <see cref="BatchAuthorizer"/> in the apply's write transaction against the hub's current rows, and on any violation counts,
/// logs and throws <see cref="UnauthorizedBatchException"/>, so nothing of the batch is applied.
/// </summary>
internal static class HubAuthorization
{
    /// <summary>
    /// The check for batches from <paramref name="sender"/>, or null when this agent does not authorize them: only a
    /// hub does, for every sender outside the hub's own cluster (the role a caller claims does not exempt it, so a
    /// factory cannot skip the rules by claiming to be a peer). Replicas of the hub's own cluster are trusted.
    /// </summary>
    public static Action<ChangeBatch>? CheckFor(HostedDatabase hosted, PeerIdentity sender, ILogger logger) =>
        CheckFor(hosted.Db, hosted.Role, hosted.RuleOf, sender, e =>
        {
            hosted.Metrics.BatchUnauthorized(e.Rule, hosted.Board.TagsFor(sender.Site));
            Log.BatchUnauthorized(logger, hosted.Name, sender.Site, sender.Authenticated, e.Rule, e.Violations.Count, e.Message);
        });

    /// <summary>
    /// The same check for a database with no host around it (the simulation runs it between in-process replicas):
    /// <paramref name="refused"/> is told of a refusal before it is thrown.
    /// </summary>
    public static Action<ChangeBatch>? CheckFor(
        SyncDatabase db, AgentRole role, Func<string, TableRule> ruleOf, PeerIdentity sender, Action<UnauthorizedBatchException>? refused = null)
    {
        if (role != AgentRole.Hub || string.Equals(sender.Cluster, DirectionFilter.ClusterOf(db.SiteId), StringComparison.Ordinal))
        {
            return null;
        }

        return batch =>
        {
            // Runs inside the apply's transaction after the hub's own pending writes are sealed (a row its application
            // deleted a moment ago is a tombstone by then), so the rules judge against the rows the hub holds now.
            // The site id is read after that seal, which continues the hub as a new incarnation after its files were
            // put back: its earlier incarnations' changes, which a factory sends back, are admitted (never the current id's).
            var lookup = new RowLookup(db);
            var violations = BatchAuthorizer.Authorize(batch, sender.Cluster, ruleOf, db.Vector, lookup.Find, db.SiteId);
            if (violations.Count == 0)
            {
                return;
            }

            var e = new UnauthorizedBatchException(sender.Site, violations);
            refused?.Invoke(e);
            throw e;
        };
    }

    /// <summary>The hub's row states in the column order of the batch's change set (columns matched by name).</summary>
    private sealed class RowLookup(SyncDatabase db)
    {
        private readonly Dictionary<TableChangeSet, int[]?> _maps = [];

        public RowState? Find(TableChangeSet set, object?[] key)
        {
            var state = db.ReadRowState(set.Table, key);
            if (state is null || state.IsDeleted)
            {
                return state;
            }

            if (!_maps.TryGetValue(set, out var map))
            {
                _maps[set] = map = MapOf(set);
            }

            if (map is null)
            {
                return null; // schemas differ: apply refuses the batch anyway; the authorizer treats the row as unknown
            }

            var values = new object?[map.Length];
            var clocks = new CellClock[map.Length];
            for (int i = 0; i < map.Length; i++)
            {
                values[i] = state.Values![map[i]];
                clocks[i] = state.Clocks[map[i]];
            }

            return RowState.Alive(state.CausalLength, values, clocks);
        }

        private int[]? MapOf(TableChangeSet set)
        {
            var info = db.Tables.FirstOrDefault(t => string.Equals(t.Name, set.Table, StringComparison.OrdinalIgnoreCase));
            if (info is null || info.Columns.Count != set.Columns.Count)
            {
                return null;
            }

            var map = new int[set.Columns.Count];
            for (int i = 0; i < map.Length; i++)
            {
                map[i] = -1;
                for (int j = 0; j < info.Columns.Count; j++)
                {
                    if (string.Equals(info.Columns[j], set.Columns[i], StringComparison.OrdinalIgnoreCase))
                    {
                        map[i] = j;
                    }
                }

                if (map[i] < 0)
                {
                    return null;
                }
            }

            return map;
        }
    }
}
