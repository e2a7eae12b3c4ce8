using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The hub's own earlier incarnations in a factory's batch: after the hub's files were put back (a power cut to an
/// earlier copy, a backup), a factory sends back what those incarnations wrote (<see cref="DirectionFilter.OwnLineage"/>),
/// in any table. They are the hub's writes, and an earlier incarnation never writes again.
/// </summary>
internal static partial class BatchAuthorizer
{
    /// <summary>
    /// The key of the first row of a <c>down</c> table set that is not the hub's own (<see cref="TheHubsOwn"/>) and
    /// changes something at the hub; null when there is none. Without <paramref name="hubSite"/>: the first row.
    /// </summary>
    private static object?[]? FirstNotTheHubs(TableChangeSet set, string? hubSite, VersionVector hubVector)
    {
        if (hubSite is null)
        {
            return set.Rows.Count > 0 ? set.Rows[0].Key : [set.Runs[0].Rowids[0]];
        }

        foreach (var row in set.Rows)
        {
            if (!TheHubsOwn(row.State, hubSite, hubVector))
            {
                return row.Key;
            }
        }

        foreach (var run in set.Runs)
        {
            if (IsRetiredHub(run.Site, hubSite))
            {
                continue;
            }

            for (int i = 0; i < run.Count; i++)
            {
                if (run.SeqAt(i) > hubVector[run.Site])
                {
                    return [run.Rowids[i]];
                }
            }
        }

        return null;
    }

    /// <summary>
    /// True when every change in <paramref name="state"/> that the hub lacks was made by one of the hub's earlier
    /// incarnations (a row the hub lacks nothing of is also its own: it changes nothing).
    /// </summary>
    private static bool TheHubsOwn(RowState state, string? hubSite, VersionVector hubVector)
    {
        if (hubSite is null)
        {
            return false;
        }

        foreach (var c in state.Clocks)
        {
            if (c.Seq > hubVector[c.Site] && !IsRetiredHub(c.Site, hubSite))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="site"/> is an earlier incarnation of the hub <paramref name="hubSite"/> (never the current id).</summary>
    private static bool IsRetiredHub(string site, string? hubSite) => hubSite is not null && DirectionFilter.IsEarlierIncarnation(site, hubSite);
}
