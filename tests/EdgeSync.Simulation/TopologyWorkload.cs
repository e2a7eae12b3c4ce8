using EdgeSync.Agent;

namespace EdgeSync.Simulation;

/// <summary>
/// The applications of the hub/factory topology, from one seeded RNG. Each writes only what its configuration lets it
/// write, as a well-behaved application does: HQ writes <c>settings</c> (down) and any cluster's <c>items</c>; a
/// factory writes <c>items</c> of its own <c>tenant</c> only; everyone appends <c>readings</c> (up). <c>counters</c> is
/// partitioned by cluster (ids <c>100 × cluster + 1…5</c>) while it is <c>up</c> for the writer, so what each cluster
/// may hold of it is known; once the writer's configuration says <c>both</c>, any id. A rogue factory writes only what
/// the hub must refuse.
/// </summary>
internal sealed class TopologyWorkload(Random rng, IReadOnlyList<string> clusters)
{
    public static readonly string[] SettingKeys = ["mode", "speed", "limit"];
    private readonly Dictionary<string, long> _next = new(StringComparer.Ordinal);

    /// <summary>Every append row written and still held by some replica: the hub and the writer's cluster must hold it at the end.</summary>
    public HashSet<long> Readings { get; } = [];

    /// <summary>The id of the <paramref name="n"/>-th reading of node <paramref name="node"/>: the node is in the id.</summary>
    public static long ReadingId(int node, long n) => (node + 1) * 1_000_000L + n;

    /// <summary>The node that wrote reading <paramref name="id"/>.</summary>
    public static int WriterOf(long id) => (int)(id / 1_000_000L) - 1;

    /// <summary>Every <c>counters</c> id any cluster may write.</summary>
    public IEnumerable<long> CounterIds => Enumerable.Range(0, clusters.Count).SelectMany(c => Enumerable.Range(1, 5).Select(k => c * 100L + k));

    /// <summary>Every <c>items</c> key any cluster may write.</summary>
    public IEnumerable<object?[]> ItemKeys => from t in clusters from c in Enumerable.Range(0, 4) select new object?[] { t, (long)c };

    /// <summary>Files went back to an earlier copy: a reading none of <paramref name="holders"/> holds any more was lost with them.</summary>
    public void ForgetLost(IEnumerable<SimSite> holders)
    {
        var held = new HashSet<long>();
        foreach (var s in holders)
        {
            held.UnionWith(s.Ids("SELECT id FROM readings"));
        }

        Readings.IntersectWith(held);
    }

    public void Write(TopologyNode node, int index)
    {
        var s = node.Site;
        bool hq = node.Role == AgentRole.Hub;
        switch (rng.Next(11))
        {
            case 0:
            case 1:
                long n = _next.GetValueOrDefault(s.Site) + 1;
                _next[s.Site] = n;
                long id = ReadingId(index, n);
                s.Exec("INSERT INTO readings(id, device, ts, value) VALUES ($1, $2, $3, $4)", id, "dev-" + rng.Next(5), n, rng.NextDouble());
                Readings.Add(id);
                return;
            case 2 when hq:
                s.Exec("INSERT INTO settings(key, value, owner, version) VALUES ($1, $2, 'hq', 1) "
                    + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = version + 1", SettingKeys[rng.Next(SettingKeys.Length)], "v" + rng.Next(100));
                return;
            case 3 when hq:
                s.Exec("DELETE FROM settings WHERE key = $1", SettingKeys[rng.Next(SettingKeys.Length)]);
                return;
            case 2:
            case 3:
            case 4:
                s.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ($1, $2, $3, $4)",
                    Tenant(node), (long)rng.Next(4), "n" + rng.Next(50), (long)rng.Next(10));
                return;
            case 5:
                s.Exec("UPDATE items SET qty = qty + 1 WHERE tenant = $1 AND code = $2", Tenant(node), (long)rng.Next(4));
                return;
            case 6:
                s.Exec("UPDATE items SET name = $3 WHERE tenant = $1 AND code = $2", Tenant(node), (long)rng.Next(4), "e" + rng.Next(50));
                return;
            case 7:
                s.Exec("DELETE FROM items WHERE tenant = $1 AND code = $2", Tenant(node), (long)rng.Next(4));
                return;
            case 8:
                s.Exec("INSERT OR REPLACE INTO counters(id, a, b, c) VALUES ($1, $2, $3, $4)",
                    CounterId(node), (long)rng.Next(100), rng.Next(3) == 0 ? null : "b" + rng.Next(9), new[] { (byte)rng.Next(256) });
                return;
            case 9:
                s.Exec("UPDATE counters SET a = coalesce(a, 0) + 1 WHERE id = $1", CounterId(node));
                return;
            default:
                s.Exec("DELETE FROM counters WHERE id = $1", CounterId(node));
                return;
        }
    }

    /// <summary>What a rogue factory's application writes: each is refused by one of the hub's rules.</summary>
    public void WriteRogue(TopologyNode node)
    {
        var s = node.Site;
        string other = clusters[rng.Next(clusters.Count)]; // never the rogue's own cluster: it is not in the list
        switch (rng.Next(4))
        {
            case 0:
                s.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ($1, $2, 'hijack', 0)", other, (long)rng.Next(4)); // owner
                return;
            case 1:
                s.Exec("UPDATE items SET qty = -1 WHERE tenant = $1 AND code = $2", other, (long)rng.Next(4)); // owner: a row the hub holds
                return;
            case 2:
                s.Exec("DELETE FROM items WHERE tenant = $1 AND code = $2", other, (long)rng.Next(4)); // owner in the key
                return;
            default:
                s.Exec("INSERT OR REPLACE INTO settings(key, value, owner, version) VALUES ($1, 'rogue', $2, 0)",
                    SettingKeys[rng.Next(SettingKeys.Length)], node.Cluster); // down-table
                return;
        }
    }

    private string Tenant(TopologyNode node) => node.Role == AgentRole.Hub ? clusters[rng.Next(clusters.Count)] : node.Cluster;

    private long CounterId(TopologyNode node)
    {
        int cluster = node.DirectionOf(TopologyNode.OpenedTable) == SyncDirection.Up ? node.ClusterIndex : rng.Next(clusters.Count);
        return cluster * 100L + rng.Next(1, 6);
    }
}
