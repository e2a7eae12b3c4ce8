using EdgeSync.Agent;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;

namespace EdgeSync.Simulation;

/// <summary>
/// One replica of the hub/factory topology: its site, its cluster, the role and the configuration its agent would run
/// with. <see cref="Endpoint"/> is what the agent builds around a hosted database (role and table directions), so
/// <see cref="Outbound"/> and <see cref="Inbound"/> apply the same direction and cluster rules as in production.
/// </summary>
internal sealed class TopologyNode(SimSite site, string cluster, int clusterIndex, AgentRole role, bool toHub, bool rogue)
{
    /// <summary>The table every test of a direction change opens from <c>up</c> to <c>both</c>.</summary>
    public const string OpenedTable = "counters";

    public SimSite Site { get; } = site;

    /// <summary>The cluster id (<c>hq</c>, <c>factory-001</c>, …), as <see cref="DirectionFilter.ClusterOf"/> reads it from the site id.</summary>
    public string Cluster { get; } = cluster;

    /// <summary>0 for HQ, 1… for the factories: which keys of a partitioned table the cluster writes.</summary>
    public int ClusterIndex { get; } = clusterIndex;

    public AgentRole Role { get; } = role;

    /// <summary>True when this replica exchanges with the hub (a factory's other replicas reach it through their siblings).</summary>
    public bool ToHub { get; } = toHub;

    /// <summary>A factory whose application writes only what the hub must refuse (another cluster's rows, a <c>down</c>
    /// table), and whose configuration wrongly lets it send them.</summary>
    public bool Rogue { get; } = rogue;

    /// <summary>The configuration the agent runs with now (it changes when a direction change is rolled out to it).</summary>
    public AgentOptions Options { get; set; } = Config(site.Site, cluster, role, SyncDirection.Up, rogue);

    public string SiteId => Site.Db!.SiteId;

    public SyncDirection DirectionOf(string table) => Options.DirectionOf(table);

    /// <summary>What the agent's hosted database gives <see cref="Outbound"/> and <see cref="Inbound"/>.</summary>
    public SyncEndpoint Endpoint => new(Site.Db!) { Role = Role, DirectionOf = Options.DirectionOf };

    /// <summary>The hub's authorization of a batch from <paramref name="senderSite"/>, as the agent wires it (null: not checked).</summary>
    public Action<Protocol.ChangeBatch>? AuthorizeFrom(string senderSite) =>
        HubAuthorization.CheckFor(Site.Db!, Role, t => TableRule.Of(Options, t), PeerIdentity.Claimed(senderSite));

    /// <summary>
    /// The rule the agent gives its hosted database (<see cref="DirectionFilter.MayOriginate"/>), from the node's current
    /// configuration; whoever makes a node hands it to the node's site (<see cref="SimSite.MayOriginate"/>).
    /// </summary>
    public bool MayOriginate(string site, string table, string origin) => DirectionFilter.MayOriginate(Role, DirectionOf(table), site, origin);

    /// <summary>
    /// The fleet's table configuration: <c>readings</c> (append) flows up, <c>settings</c> down (HQ's), <c>items</c> both
    /// ways with the owning cluster in <c>tenant</c>, and <c>counters</c> as <paramref name="counters"/> says. A rogue
    /// factory is misconfigured to send <c>settings</c> up too.
    /// </summary>
    public static AgentOptions Config(string site, string cluster, AgentRole role, SyncDirection counters, bool rogue) => new()
    {
        Site = site,
        ClusterId = cluster,
        Role = role,
        Tables = new Dictionary<string, TableSyncOptions>(StringComparer.OrdinalIgnoreCase)
        {
            ["readings"] = new() { Policy = Schema.TablePolicy.Append, Direction = SyncDirection.Up },
            ["settings"] = new() { Direction = rogue ? SyncDirection.Both : SyncDirection.Down },
            ["items"] = new() { Direction = SyncDirection.Both, OwnerColumn = "tenant" },
            [OpenedTable] = new() { Direction = counters },
        },
    };
}
