using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// Healing and the invariants of the topology. "Equal" means the full row state: every column's value, the causal
/// length (a tombstone included) and every column's clock (site, sequence, HLC), read key by key with
/// <see cref="SyncDatabase.ReadRowState"/>.
/// <list type="bullet">
/// <item>Every replica of a factory equals its siblings, in every table.</item>
/// <item><c>both</c> and <c>down</c> tables: every factory equals the hub.</item>
/// <item><c>up</c> tables: a factory holds exactly its own cluster's rows (its partition; nothing HQ or another factory
/// wrote), each equal to the hub's; the hub's rows of that partition are exactly those.</item>
/// <item>Every reading written and still held somewhere is held by the hub and by every replica of its writer's
/// cluster (a factory replica restored from a backup gets its post-backup writes back, from a sibling or the hub).</item>
/// <item>Nothing the hub's authorizer refuses was applied: the hub holds no clock of the rogue factory, no batch of a
/// well-behaved factory was refused (checked as each batch is applied), and every batch presented under another
/// cluster's name was refused.</item>
/// <item>Every loss an apply decides is in that replica's conflict audit (checked as each batch is applied to a replica
/// with nothing pending: <c>TopologySimulation.Audit.cs</c>).</item>
/// </list>
/// </summary>
public sealed partial class TopologySimulation
{
    /// <summary>Liveness: after the heal, this many rounds (siblings, then each linked replica with the hub, then
    /// siblings again) must bring every invariant to hold.</summary>
    public const int LivenessRounds = 3;

    private string? HealAndCheck()
    {
        _network.Clear();
        for (int i = 0; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            node.Site.Clock.OffsetMs = 0;
            if (_openAt >= 0)
            {
                RollOut(i); // the change reaches every agent
            }

            Start(i);
            node.Site.Db!.Capture();
            node.Site.Db.AuditAppendTables();
        }

        int rounds = 0;
        string? broken = Broken();
        while (broken is not null && rounds < LivenessRounds)
        {
            rounds++;
            Round();
            broken = Broken();
        }

        return broken is null ? null : $"after {rounds} rounds once every fault healed: {broken}\n  vectors: "
            + string.Join("; ", _nodes.Select(n => $"{n.SiteId} {n.Site.Db!.Vector}"));
    }

    private void Round()
    {
        SiblingRound();
        for (int i = 1; i < _nodes.Count; i++)
        {
            if (_nodes[i].ToHub && !_nodes[i].Rogue)
            {
                Pull(Hub, _nodes[i]);
                Pull(_nodes[i], Hub);
            }
        }

        SiblingRound();
    }

    /// <summary>Within each factory, a star through its first replica: everyone's changes to it, then back.</summary>
    private void SiblingRound()
    {
        foreach (var cluster in Factories())
        {
            foreach (var n in cluster.Skip(1))
            {
                Pull(cluster[0], n);
            }

            foreach (var n in cluster.Skip(1))
            {
                Pull(n, cluster[0]);
            }
        }
    }

    private IEnumerable<List<TopologyNode>> Factories() =>
        _nodes.Where(n => n.Role == AgentRole.Factory && !n.Rogue).GroupBy(n => n.Cluster).Select(g => g.ToList());

    /// <summary>One exchange as the agent makes it: <paramref name="from"/> extracts for <paramref name="into"/>, which authorizes (a hub) and applies.</summary>
    private void Pull(TopologyNode into, TopologyNode from)
    {
        string sender = from.SiteId;
        var reclaim = ReclaimFrom(from, into);
        var inbound = new Inbound(into.Endpoint, sender, from.Role, into.AuthorizeFrom(sender), reclaim: reclaim);
        new Outbound(from.Endpoint, into.SiteId, into.Role, reclaim: reclaim, peerDisclaimed: into.Site.Db!.Disclaimed).Send(into.Site.Db!.Vector, batch => inbound.Receive(batch.Payload), CancellationToken.None);
    }

    private string? Broken()
    {
        var hub = States(Hub);
        var hubFloors = StateTracker.CausalFloors(Hub.Site);
        foreach (var cluster in Factories())
        {
            var first = States(cluster[0]);
            var firstFloors = StateTracker.CausalFloors(cluster[0].Site);
            foreach (var sibling in cluster.Skip(1))
            {
                if (Differ(first, States(sibling), _ => true, firstFloors, StateTracker.CausalFloors(sibling.Site)) is { } d)
                {
                    return $"siblings {cluster[0].SiteId} and {sibling.SiteId} differ: {d}";
                }
            }

            var node = cluster[0];
            foreach (var table in first.Keys.Union(hub.Keys))
            {
                var dir = node.DirectionOf(table);
                if (dir != SyncDirection.Up)
                {
                    if (Differ(Of(hub, table), Of(first, table), _ => true, hubFloors.GetValueOrDefault(table), firstFloors.GetValueOrDefault(table)) is { } d)
                    {
                        return $"{table} ({dir}): {Hub.SiteId} and {node.SiteId} differ: {d}";
                    }

                    continue;
                }

                if (Of(first, table).Keys.FirstOrDefault(k => PartitionOf(table, k) != node.Cluster) is { } foreign)
                {
                    return $"{table} (up): {node.SiteId} holds {foreign}, which {PartitionOf(table, foreign)} wrote: {Of(first, table)[foreign]}";
                }

                if (Differ(Of(hub, table), Of(first, table), k => PartitionOf(table, k) == node.Cluster, hubFloors.GetValueOrDefault(table), firstFloors.GetValueOrDefault(table)) is { } up)
                {
                    return $"{table} (up): {node.Cluster}'s rows at {Hub.SiteId} and {node.SiteId} differ: {up}";
                }
            }
        }

        foreach (var n in _nodes.Where(n => !n.Rogue))
        {
            var ids = n.Site.Ids("SELECT id FROM readings").ToHashSet();
            var must = _workload.Readings.Where(id => n.Role == AgentRole.Hub || _nodes[TopologyWorkload.WriterOf(id)].Cluster == n.Cluster);
            if (must.FirstOrDefault(id => !ids.Contains(id)) is var lost && lost != 0)
            {
                return $"{n.SiteId} lacks reading {lost} (written by {_nodes[TopologyWorkload.WriterOf(lost)].Site.Site}, still held elsewhere)";
            }
        }

        return RogueHeldByHub();
    }

    /// <summary>The hub holds nothing the rogue factory wrote (every batch of it breaks a rule, so none may be applied).</summary>
    private string? RogueHeldByHub()
    {
        foreach (var (table, rows) in States(Hub))
        {
            foreach (var (key, state) in rows)
            {
                if (state.Contains("factory-rogue", StringComparison.Ordinal))
                {
                    return $"the hub applied a change the authorizer must refuse: {table} {key}: {state}";
                }
            }
        }

        return null;
    }

    /// <summary>The cluster that may write the key of an <c>up</c> table while it is up.</summary>
    private string PartitionOf(string table, string key)
    {
        long id = long.Parse(key, System.Globalization.CultureInfo.InvariantCulture);
        return table == "readings" ? _nodes[TopologyWorkload.WriterOf(id)].Cluster : _nodes.First(n => n.ClusterIndex == (int)(id / 100)).Cluster;
    }

    private static SortedDictionary<string, string> Of(Dictionary<string, SortedDictionary<string, string>> states, string table) =>
        states.TryGetValue(table, out var rows) ? rows : new(StringComparer.Ordinal);

    /// <summary>The first key (of those <paramref name="where"/> selects) whose state differs, or null. A tombstone one
    /// side's compaction dropped (at or below its table's causal-length floor, <paramref name="floorsA"/> and
    /// <paramref name="floorsB"/>) while the other keeps it is no difference: a re-insert still beats it on both (design §6).</summary>
    private static string? Differ(Dictionary<string, SortedDictionary<string, string>> a, Dictionary<string, SortedDictionary<string, string>> b, Func<string, bool> where,
        Dictionary<string, long> floorsA, Dictionary<string, long> floorsB)
    {
        foreach (var table in a.Keys.Union(b.Keys))
        {
            if (Differ(Of(a, table), Of(b, table), where, floorsA.GetValueOrDefault(table), floorsB.GetValueOrDefault(table)) is { } d)
            {
                return table + " " + d;
            }
        }

        return null;
    }

    private static string? Differ(SortedDictionary<string, string> a, SortedDictionary<string, string> b, Func<string, bool> where, long floorA, long floorB)
    {
        foreach (var key in a.Keys.Union(b.Keys).Where(where).Order(StringComparer.Ordinal))
        {
            string x = a.GetValueOrDefault(key, "(none)"), y = b.GetValueOrDefault(key, "(none)");
            if (x != y && !Compacted(x, y, floorA) && !Compacted(y, x, floorB))
            {
                return $"{key}: {x} vs {y}";
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="held"/> lacks the row whose tombstone <paramref name="other"/> keeps, at or
    /// below <paramref name="floor"/>, the causal-length floor of the table where it is lacking.</summary>
    private static bool Compacted(string held, string other, long floor) =>
        held == "(none)" && other.StartsWith("cl=", StringComparison.Ordinal) && other.Split(' ') is [var cl, "deleted", ..]
        && long.Parse(cl.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture) <= floor;

    /// <summary>Every row state the node holds, tombstones included, by table and key: values, causal length and clocks.</summary>
    private Dictionary<string, SortedDictionary<string, string>> States(TopologyNode node)
    {
        var db = node.Site.Db!;
        db.Capture();
        var keys = new Dictionary<string, IEnumerable<object?[]>>(StringComparer.Ordinal)
        {
            ["readings"] = _workload.Readings.Concat(node.Site.Ids("SELECT id FROM readings")).Distinct().Select(id => new object?[] { id }),
            ["settings"] = TopologyWorkload.SettingKeys.Select(k => new object?[] { k }),
            ["items"] = _workload.ItemKeys,
            ["counters"] = _workload.CounterIds.Select(id => new object?[] { id }),
        };
        var result = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (table, tableKeys) in keys)
        {
            var rows = result[table] = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in tableKeys)
            {
                if (db.ReadRowState(table, key) is { } state)
                {
                    rows[string.Join(",", key.Select(SqlValue.Display))] = Text(state);
                }
            }
        }

        return result;
    }

    private static string Text(RowState state) =>
        $"cl={state.CausalLength}{(state.IsDeleted ? " deleted" : " " + string.Join("|", state.Values!.Select(SqlValue.Display)))} clocks={string.Join(",", state.Clocks)}";
}
