using System.Text;
using EdgeSync.Clocks;
using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Simulation;

/// <summary>
/// One seeded run: 3–7 replicas write concurrently and exchange encoded batches over a lossy, duplicating,
/// reordering "network"; then the network heals and every replica must hold identical rows.
/// </summary>
internal sealed class SyncSimulation : IDisposable
{
    private readonly int _seed;
    private readonly Random _rng;
    private readonly TempDir _dir = new();
    private readonly List<Replica> _replicas = [];
    private readonly List<(int To, int From, byte[] Batch)> _network = [];
    private readonly StringBuilder _trace = new();

    public SyncSimulation(int seed)
    {
        _seed = seed;
        _rng = new Random(seed);
        int n = _rng.Next(3, 8);
        for (int i = 0; i < n; i++)
        {
            _replicas.Add(new Replica(_dir.File($"r{i}.db"), $"site-{i}"));
        }
    }

    public string Trace => _trace.ToString();

    public void Run(int steps)
    {
        var workload = new SeededWorkload(_rng);
        for (int step = 0; step < steps; step++)
        {
            int roll = _rng.Next(100);
            int i = _rng.Next(_replicas.Count);
            if (roll < 45)
            {
                workload.Write(_replicas[i], i);
            }
            else if (roll < 55)
            {
                _replicas[i].Db.Capture();
            }
            else if (roll < 75)
            {
                int j = (i + 1 + _rng.Next(_replicas.Count - 1)) % _replicas.Count;
                Extract(from: i, to: j);
            }
            else if (_network.Count > 0)
            {
                Deliver();
            }
        }

        Heal();
        AssertConverged(workload);
    }

    private void Extract(int from, int to)
    {
        var source = _replicas[from];
        if (_rng.Next(2) == 0)
        {
            source.Db.Capture();
        }

        new Outbound(new SyncEndpoint(source.Db), _replicas[to].Site, AgentRole.Peer)
            .Send(_replicas[to].Db.Vector, batch => _network.Add((to, from, batch.Payload)), TestContext.Current.CancellationToken);

        _trace.Append($"extract {from}->{to}; ");
    }

    private void Deliver()
    {
        int k = _rng.Next(_network.Count); // random pick = reordering
        var (to, from, bytes) = _network[k];
        int fate = _rng.Next(10);
        if (fate == 0)
        {
            _network.RemoveAt(k); // dropped; a later extraction re-sends what is missing
            _trace.Append($"drop {from}->{to}; ");
            return;
        }

        if (fate > 2)
        {
            _network.RemoveAt(k); // otherwise it stays queued and will be delivered again (duplicate)
        }

        var target = _replicas[to];
        var before = target.Db.Vector;
        new Inbound(new SyncEndpoint(target.Db), _replicas[from].Site, AgentRole.Peer).Receive(bytes);
        var after = target.Db.Vector;
        Assert.True(after.Dominates(before), $"seed {_seed}: version vector went backwards on {target.Site}: {before} -> {after}");
        _trace.Append($"apply {from}->{to}; ");
    }

    private void Heal()
    {
        _network.Clear();
        for (int round = 0; round < 3; round++)
        {
            foreach (var a in _replicas)
            {
                foreach (var b in _replicas)
                {
                    if (!ReferenceEquals(a, b))
                    {
                        b.PullFrom(a);
                    }
                }
            }
        }
    }

    private void AssertConverged(SeededWorkload workload)
    {
        var sums = _replicas.Select(r => r.Db.Checksum()).ToList();
        if (sums.Distinct().Count() != 1)
        {
            var detail = string.Join("\n", _replicas.Select(r => $"{r.Site}: {Dump(r)}"));
            Assert.Fail($"seed {_seed}: replicas diverged.\n{detail}\ntrace: {Trace}");
        }

        foreach (var r in _replicas)
        {
            var ids = r.Rows("SELECT id FROM readings").Select(x => (long)x[0]!).ToHashSet();
            Assert.True(workload.Readings.SetEquals(ids),
                $"seed {_seed}: {r.Site} has {ids.Count} readings, {workload.Readings.Count} were written");
        }

        var vectors = _replicas.Select(r => r.Db.Vector).ToList();
        Assert.All(vectors, v => Assert.True(v.Dominates(vectors[0]) && vectors[0].Dominates(v),
            $"seed {_seed}: vectors differ after heal: {string.Join(" | ", vectors)}"));
    }

    private static string Dump(Replica r)
    {
        var sb = new StringBuilder();
        var rd = r.Rows("SELECT count(*), total(id), total(value), group_concat(typeof(value)) FROM readings")[0];
        sb.Append($"readings[{rd[0]} {rd[1]} {rd[2]}] ");
        foreach (var t in new[] { "settings", "items", "counters" })
        {
            sb.Append(t).Append('[');
            foreach (var row in r.Rows($"SELECT *, typeof(2), typeof(3), typeof(4) FROM {t} ORDER BY 1, 2"))
            {
                sb.Append('(').Append(string.Join(",", row.Select(v => v is byte[] b ? Convert.ToHexString(b) : v?.ToString() ?? "NULL"))).Append(')');
            }

            sb.Append("] ");
        }

        return sb.ToString();
    }

    public void Dispose()
    {
        foreach (var r in _replicas)
        {
            r.Dispose();
        }

        _dir.Dispose();
    }
}
