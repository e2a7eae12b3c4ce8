using EdgeSync.Clocks;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// Which changes of its own cluster a factory replica asks its hub to send back (design.md, "Table directions"). A hub
/// never sends a factory its own cluster's changes: they travel inside the factory, where every replica holds every
/// table. That fails when the only replicas that held an origin's changes lost them: a replica restored from a
/// backup continues as a new incarnation, and what its earlier incarnation wrote after the backup may be held by the
/// hub alone once every sibling that had it was restored too (topology simulation seed 1313: two replicas of a
/// three-replica factory restored). Its own earlier incarnations come back by <see cref="DirectionFilter.OwnLineage"/>;
/// this covers its siblings'. An origin is asked back when
/// <list type="bullet">
/// <item>it is of this replica's cluster and the hub holds more of it than this replica;</item>
/// <item>it is retired: an earlier incarnation of a replica whose current id is known (this one or a sibling heard
/// from), so it will never write again and nobody will send more of it later;</item>
/// <item>no sibling heard from holds more of it than this replica (one that does sends it, every table included).</item>
/// </list>
/// What the hub sends of it is everything it holds (every table: the hub holds no <c>down</c> rows of a factory
/// origin). Left as it was: an origin of a replica that left the cluster for good (not an earlier incarnation of a
/// current one), and a sibling not heard from since this agent started that still holds such an origin's changes to a
/// <c>down</c> table (the hub never had them, and this replica's vector passes them).
/// </summary>
internal static class RetiredOrigins
{
    /// <summary>The origins to ask <paramref name="hub"/> for; empty when none. <paramref name="siblings"/>: the current
    /// ids of this replica's siblings and what each is known to hold (others in the list are ignored).</summary>
    public static IReadOnlySet<string> ToReclaim(string self, VersionVector own, VersionVector hub, IEnumerable<(string Site, VersionVector Vector)> siblings)
    {
        string cluster = DirectionFilter.ClusterOf(self);
        var current = siblings.Where(s => s.Site != self && DirectionFilter.ClusterOf(s.Site) == cluster).ToList();
        var ids = current.Select(s => s.Site).Append(self).ToHashSet(StringComparer.Ordinal);
        var replicas = ids.Select(DirectionFilter.BaseOf).ToHashSet(StringComparer.Ordinal);
        HashSet<string>? reclaim = null;
        foreach (var (origin, seq) in hub)
        {
            long held = own[origin];
            if (seq <= held || ids.Contains(origin) || DirectionFilter.ClusterOf(origin) != cluster
                || !replicas.Contains(DirectionFilter.BaseOf(origin)) || DirectionFilter.IsEarlierIncarnation(origin, self)
                || current.Any(s => s.Vector[origin] > held))
            {
                continue;
            }

            (reclaim ??= new HashSet<string>(StringComparer.Ordinal)).Add(origin);
        }

        return reclaim ?? (IReadOnlySet<string>)EmptySet;
    }

    /// <summary>The siblings a peer board knows, one per replica: the id heard from last (an earlier incarnation's
    /// entry stays on the board until forgotten), with the vector it reported.</summary>
    public static IEnumerable<(string Site, VersionVector Vector)> Current(IEnumerable<PeerStatus> board) =>
        board.GroupBy(p => DirectionFilter.BaseOf(p.Site), StringComparer.Ordinal)
            .Select(g => g.MaxBy(p => p.LastSeen ?? DateTimeOffset.MinValue)!)
            .Select(p =>
            {
                lock (p)
                {
                    return (p.Site, p.Vector);
                }
            });

    private static readonly HashSet<string> EmptySet = new(StringComparer.Ordinal);
}
