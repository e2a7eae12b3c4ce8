using System.Text;
using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;

namespace EdgeSync.Simulation;

/// <summary>
/// One seeded run of the real engine: 3–50 sites write concurrently while a simulated network drops, duplicates,
/// reorders, partitions and heals, and sites crash and restart (losing only what was never committed). Then the
/// network heals, every site restarts, and the invariants are checked. <see cref="Run"/> returns null when they
/// hold, else what broke; the seed alone replays the run.
/// </summary>
public sealed class FaultSimulation : IDisposable
{
    private readonly int _seed;
    private readonly Random _rng;
    private readonly string _dir;
    private readonly List<SimSite> _sites = [];
    private readonly List<(int From, int To, byte[] Batch)> _network = [];
    private readonly StateTracker _tracker = new();
    private readonly int[] _group;
    private readonly StringBuilder _trace = new();

    public FaultSimulation(int seed, string rootDirectory)
    {
        _seed = seed;
        _rng = new Random(seed);
        _dir = Path.Combine(rootDirectory, $"sim-{seed}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        int n = _rng.Next(10) < 9 ? _rng.Next(3, 8) : _rng.Next(8, 51);
        for (int i = 0; i < n; i++)
        {
            _sites.Add(new SimSite(Path.Combine(_dir, $"s{i}.db"), $"site-{i}"));
        }

        _group = new int[n];
    }

    public int Sites => _sites.Count;

    /// <summary>Runs <paramref name="steps"/> random steps, heals, and checks. Null = every invariant held.</summary>
    public string? Run(int steps)
    {
        var workload = new FaultWorkload(_rng);
        for (int step = 0; step < steps; step++)
        {
            string? broken = Step(workload);
            if (broken is not null)
            {
                return Fail(broken);
            }
        }

        return Fail(HealAndCheck(workload));
    }

    private string? Fail(string? what) => what is null ? null : $"seed {_seed} ({_sites.Count} sites): {what}\n  trace: {_trace}";

    private string? Step(FaultWorkload workload)
    {
        int i = _rng.Next(_sites.Count);
        var s = _sites[i];
        int roll = _rng.Next(100);
        if (!s.Up)
        {
            if (roll < 30)
            {
                s.Restart();
                _trace.Append($"restart {i}; ");
            }

            return null;
        }

        switch (roll)
        {
            case < 45:
                if (_rng.Next(40) == 0 && s.Upgrade())
                {
                    _trace.Append($"migrate {i} to {s.SchemaLevel}; "); // replicas at different schema versions for a while
                    return null;
                }

                workload.Write(s, i);
                if (_rng.Next(8) == 0)
                {
                    _tracker.Observe(s.Db!);
                }

                return null;
            case < 50:
                s.Db!.Capture();
                return null;
            case < 70:
                int j = (i + 1 + _rng.Next(_sites.Count - 1)) % _sites.Count;
                if (_sites[j].Up && _group[i] == _group[j])
                {
                    new Outbound(new SyncEndpoint(s.Db!), _sites[j].Site, AgentRole.Peer)
                        .Send(_sites[j].Db!.Vector, batch => _network.Add((i, j, batch.Payload)), CancellationToken.None);
                }

                return null;
            case < 92:
                return _network.Count > 0 ? Deliver() : null;
            case < 95:
                Partition();
                return null;
            default:
                s.Crash();
                _trace.Append($"crash {i}; ");
                return null;
        }
    }

    private void Partition()
    {
        if (_rng.Next(2) == 0)
        {
            Array.Clear(_group);
            _trace.Append("heal; ");
            return;
        }

        for (int k = 0; k < _group.Length; k++)
        {
            _group[k] = _rng.Next(2);
        }

        _trace.Append($"partition {string.Join("", _group)}; ");
    }

    private string? Deliver()
    {
        int k = _rng.Next(_network.Count); // any queued batch: reordering
        var (from, to, bytes) = _network[k];
        int fate = _rng.Next(10);
        if (fate > 1)
        {
            _network.RemoveAt(k); // fate 0-1 leaves it queued: delivered again later (duplicate)
        }

        var target = _sites[to];
        if (fate == 9 || !target.Up || _group[from] != _group[to])
        {
            _trace.Append($"drop {from}->{to}; ");
            return null;
        }

        var before = target.Db!.Vector;
        new Inbound(new SyncEndpoint(target.Db), _sites[from].Site, AgentRole.Peer).Receive(bytes);
        var after = target.Db.Vector;
        _trace.Append($"apply {from}->{to}; ");
        if (!after.Dominates(before))
        {
            return $"version vector of {target.Site} went backwards: {before} -> {after}";
        }

        if (_rng.Next(4) == 0)
        {
            _tracker.Observe(target.Db);
        }

        return null;
    }

    private string? HealAndCheck(FaultWorkload workload)
    {
        _network.Clear();
        Array.Clear(_group);
        foreach (var s in _sites)
        {
            s.Restart();
            _tracker.Observe(s.Db!);
            while (s.Upgrade())
            {
                // every replica reaches the last schema version
            }
        }

        // Quiescence: a star through site 0, twice, reaches every change everywhere.
        for (int round = 0; round < 2; round++)
        {
            foreach (var s in _sites.Skip(1))
            {
                Pull(_sites[0], s);
            }

            foreach (var s in _sites.Skip(1))
            {
                Pull(s, _sites[0]);
            }
        }

        foreach (var table in new[] { "readings", "settings", "items", "counters" })
        {
            var dumps = _sites.Select(s => s.Dump(table)).ToList();
            int other = dumps.FindIndex(d => d != dumps[0]);
            if (other > 0)
            {
                return $"every column of {table} compared after all replicas reached the same schema: {_sites[0].Site} and {_sites[other].Site} differ\n"
                    + $"{_sites[0].Site}:\n{dumps[0]}{_sites[other].Site}:\n{dumps[other]}";
            }
        }

        var sums = _sites.Select(s => s.Db!.Checksum()).ToList();
        if (sums.Distinct().Count() != 1)
        {
            return "replicas diverged: " + string.Join(", ", _sites.Select((s, k) => $"{s.Site}={sums[k][..8]}"));
        }

        foreach (var s in _sites)
        {
            var ids = s.Ids("SELECT id FROM readings").ToHashSet();
            if (!workload.Readings.SetEquals(ids))
            {
                return $"{s.Site} has {ids.Count} append rows, {workload.Readings.Count} were committed";
            }

            if (_tracker.Verify(s.Db!) is { } lost)
            {
                return lost;
            }

            if (StateTracker.VerifyAudit(s.Db!) is { } audit)
            {
                return audit;
            }
        }

        var v0 = _sites[0].Db!.Vector;
        return _sites.Select(s => s.Db!.Vector).All(v => v.Dominates(v0) && v0.Dominates(v))
            ? null
            : "vectors differ after quiescence";
    }

    private static void Pull(SimSite into, SimSite from)
    {
        var inbound = new Inbound(new SyncEndpoint(into.Db!), from.Site, AgentRole.Peer);
        new Outbound(new SyncEndpoint(from.Db!), into.Site, AgentRole.Peer).Send(into.Db!.Vector, batch => inbound.Receive(batch.Payload), CancellationToken.None);
    }

    public void Dispose()
    {
        foreach (var s in _sites)
        {
            s.Dispose();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
