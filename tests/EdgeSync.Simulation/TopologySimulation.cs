using System.Text;
using EdgeSync.Agent;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using EdgeSync.Storage;

namespace EdgeSync.Simulation;

/// <summary>
/// One seeded run of the real engine in the production topology: an HQ hub (<c>hq/edge-0</c>, <see cref="AgentRole.Hub"/>)
/// and 2–4 factories of 1–3 replicas each (<c>factory-001/edge-0</c>, …, <see cref="AgentRole.Factory"/>). Replicas of
/// a factory exchange with each other; either every replica or only <c>edge-0</c> exchanges with the hub. Every exchange
/// goes through the agent's own path: <see cref="Outbound"/> and <see cref="Inbound"/> around an endpoint with the
/// agent's role and table directions (<see cref="DirectionFilter"/>: per-table direction, own-cluster and other-cluster
/// exclusions, own lineage), and at the hub <see cref="HubAuthorization"/> (<see cref="BatchAuthorizer"/>'s rules).
/// Tables: <c>readings</c> up, <c>settings</c> down, <c>items</c> both with an owner column, <c>counters</c> up and,
/// in two seeds of three, opened to <c>both</c> during the run, rolled out to one agent at a time in random order
/// (the hub re-offers its history when it restarts with the new configuration, as the agent does). Nemeses: lost,
/// duplicated and reordered batches, crashes, SQLITE_FULL / SQLITE_IOERR / crashes inside the engine's transactions,
/// factory replicas restored from their backups, a rogue factory whose writes the hub must refuse, batches of one
/// factory presented to the hub as another's, and those of <c>TopologySimulation.Nemeses.cs</c> (clocks drifting and
/// jumping hours ahead or behind, power cuts, clones, compaction). Then the faults heal and the invariants of
/// <c>TopologySimulation.Check.cs</c> are checked. <see cref="Run"/> returns null when they hold, else what broke.
/// </summary>
public sealed partial class TopologySimulation : IDisposable
{
    private readonly int _seed;
    private readonly Random _rng;
    private readonly string _dir;
    private readonly SimTime _time;
    private readonly FaultInjector _faults;
    private readonly IDisposable _installed;
    private readonly List<TopologyNode> _nodes = [];
    private readonly List<(int From, int To, string Sender, byte[] Batch, IReadOnlySet<string>? Reclaim)> _network = [];
    private readonly StringBuilder _trace = new();
    private readonly TopologyWorkload _workload;
    private readonly bool _opens;
    private int _openAt = -1;

    public TopologySimulation(int seed, string rootDirectory)
    {
        _seed = seed;
        _rng = new Random(seed);
        _dir = Path.Combine(rootDirectory, $"topo-{seed}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        _time = new SimTime(1_798_761_600_000L + _rng.Next(1_000_000));
        _faults = new FaultInjector(new Random(seed * 31 + 7)) { OneIn = 60 };
        SiteIncarnation.SeededNumbers.Value = new Random(seed * 17 + 3);
        _installed = _faults.Install();
        int factories = _rng.Next(2, 5);
        bool everyReplicaToHub = _rng.Next(2) == 0;
        var clusters = new List<string> { "hq" };
        Add("hq", 0, 0, AgentRole.Hub, toHub: false, rogue: false);
        for (int f = 1; f <= factories; f++)
        {
            string cluster = $"factory-{f:000}";
            clusters.Add(cluster);
            int replicas = _rng.Next(1, 4);
            for (int r = 0; r < replicas; r++)
            {
                Add(cluster, f, r, AgentRole.Factory, toHub: r == 0 || everyReplicaToHub, rogue: false);
            }
        }

        if (_rng.Next(3) == 0)
        {
            Add("factory-rogue", 99, 0, AgentRole.Factory, toHub: true, rogue: true);
        }

        _opens = _rng.Next(3) != 0;
        _workload = new TopologyWorkload(_rng, clusters);
    }

    /// <summary>The faults injected at fault points over the run, by point and kind.</summary>
    public IReadOnlyDictionary<string, int> InjectedFaults => _faults.Counts;

    /// <summary>Batches the hub refused over the run (from the rogue factory, and batches presented under another cluster).</summary>
    public int Refused { get; private set; }

    private TopologyNode Hub => _nodes[0];

    private void Add(string cluster, int clusterIndex, int replica, AgentRole role, bool toHub, bool rogue)
    {
        string site = $"{cluster}/edge-{replica}";
        var s = new SimSite(Path.Combine(_dir, $"n{_nodes.Count}.db"), site, new SimClock(_time));
        var node = new TopologyNode(s, cluster, clusterIndex, role, toHub, rogue);
        s.MayOriginate = node.MayOriginate;
        _nodes.Add(node);
        RecordDirections(node); // as the agent does at every start
    }

    /// <summary>Runs <paramref name="steps"/> random steps, heals, and checks. Null = every invariant held.</summary>
    public string? Run(int steps)
    {
        _openAt = _opens ? _rng.Next(steps / 4, steps * 3 / 4 + 1) : -1;
        try
        {
            _faults.Armed = true;
            for (int step = 0; step < steps; step++)
            {
                _time.Advance(_rng.Next(0, 40));
                SetRightDue(step); // a clock set far behind, set right (TopologySimulation.ClockBehind.cs)
                if (step == _openAt)
                {
                    _trace.Append($"counters opened up -> both (rolled out one agent at a time); ");
                }

                string? broken = Step(step);
                if (broken is not null)
                {
                    return Fail(broken);
                }
            }

            _faults.Armed = false;
            return Fail(HealAndCheck());
        }
        catch (SimFailure e)
        {
            return Fail(e.Message);
        }
        catch (Exception e) when (e is EdgeSyncException or Microsoft.Data.Sqlite.SqliteException or UnauthorizedBatchException)
        {
            return Fail($"{(_faults.Armed ? "while faults were injected" : "after every fault healed")}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    private string? Fail(string? what) => what is null ? null
        : $"topology seed {_seed} ({ProfileName}; {string.Join(", ", _nodes.Select(n => n.Site.Site + (n.ToHub && n.Role != AgentRole.Hub ? "*" : "")))}; * = exchanges with the hub): {what}\n  trace: {_trace}";

    private string? Step(int step)
    {
        int i = _rng.Next(_nodes.Count);
        var node = _nodes[i];
        if (!node.Site.Up)
        {
            if (_rng.Next(3) == 0)
            {
                Start(i);
            }

            return null;
        }

        int roll = _rng.Next(100);
        switch (roll)
        {
            case < 40:
                if (node.Rogue)
                {
                    _workload.WriteRogue(node);
                }
                else
                {
                    _workload.Write(node, i);
                }

                return null;
            case < 44:
                Guard(i, "capture", () => node.Site.Db!.Capture());
                return null;
            case < 64:
                Send(i);
                return null;
            case < 84:
                return _network.Count > 0 ? Deliver() : null;
            case < 87:
                node.Site.Crash();
                _network.RemoveAll(m => m.To == i); // the connections died with the process
                _trace.Append($"crash {i}; ");
                return null;
            case < 90:
                BackupOrRestore(i);
                return null;
            case < 95:
                return Nemesis(i); // clocks, power cuts, clones, compaction: TopologySimulation.Nemeses.cs
            case < 97:
                return PresentAsAnotherCluster(i);
            default:
                if (_openAt >= 0 && step >= _openAt)
                {
                    RollOut(i);
                }

                return null;
        }
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
        {
            n.Site.Dispose();
        }

        _installed.Dispose();
        SiteIncarnation.SeededNumbers.Value = null;
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
