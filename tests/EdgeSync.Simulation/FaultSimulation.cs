using System.Text;
using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using EdgeSync.Storage;

namespace EdgeSync.Simulation;

/// <summary>
/// One seeded run of the real engine: 3–50 sites write concurrently while a simulated network drops, duplicates,
/// reorders, partitions and heals, and the nemeses strike (see <c>FaultSimulation.Nemeses.cs</c>): crashes and
/// crash-restarts, crashes and SQLITE_FULL / SQLITE_IOERR inside the engine's transactions, skewed clocks that jump
/// forward and back, power cuts and restored backups, empty volumes, clones, peers added and removed, compaction with
/// peer vectors, schema migrations. Then the faults heal and the invariants are checked (<c>FaultSimulation.Check.cs</c>).
/// <see cref="Run"/> returns null when they hold, else what broke; the seed alone replays the run.
/// </summary>
public sealed partial class FaultSimulation : IDisposable
{
    private readonly int _seed;
    private readonly Random _rng;
    private readonly string _dir;
    private readonly List<SimSite> _sites = [];
    private readonly HashSet<int> _removed = [];
    private readonly List<(int From, int To, byte[] Batch)> _network = [];
    private readonly StateTracker _tracker = new();
    private readonly LossAudit _losses = new();
    private readonly List<int> _group = [];
    private readonly StringBuilder _trace = new();
    private readonly SimTime _time;
    private readonly FaultInjector _faults;
    private readonly Profile _profile;
    private readonly FaultWorkload _workload;
    private readonly IDisposable _installed;

    /// <summary>Which nemeses that lose state a seed runs: files put back (power cuts, backups, empty volumes) and
    /// compaction are not combined, since a replica put back behind a peer's compaction floor must be re-seeded by hand
    /// (<c>ResyncRequired</c>, docs/guarantees.md).</summary>
    private enum Profile
    {
        Rollbacks,
        Compaction,
        Neither,
    }

    public FaultSimulation(int seed, string rootDirectory)
    {
        _seed = seed;
        _rng = new Random(seed);
        _dir = Path.Combine(rootDirectory, $"sim-{seed}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        _time = new SimTime(1_798_761_600_000L + _rng.Next(1_000_000)); // 2027-01-01 and a bit
        _faults = new FaultInjector(new Random(seed * 31 + 7));
        SiteIncarnation.SeededNumbers.Value = new Random(seed * 17 + 3);
        _installed = _faults.Install();
        _profile = (Profile)(seed % 3);
        _workload = new FaultWorkload(_rng);
        int n = _rng.Next(10) < 9 ? _rng.Next(3, 8) : _rng.Next(8, 51);
        for (int i = 0; i < n; i++)
        {
            AddSite(new SimSite(Path.Combine(_dir, $"s{i}.db"), $"site-{i}", new SimClock(_time)));
        }
    }

    public int Sites => _sites.Count;

    /// <summary>The faults injected at fault points over the run, by point and kind.</summary>
    public IReadOnlyDictionary<string, int> InjectedFaults => _faults.Counts;

    /// <summary>Writes that lost unseen (each must be audited) and audit records of losses the winner had seen, at the check.</summary>
    public (int LostUnseen, int FalseRecords) AuditCounts => (_losses.LostUnseen, _losses.FalseRecords);

    /// <summary>Whole-row losses (LossAudit.WholeRow.cs) at the last check: unseen, and whole-row records whose winner had held the loser.</summary>
    public (int Unseen, int False) RowAudit => (_losses.RowLossesUnseen, _losses.FalseRowRecords);

    /// <summary>Application writes an apply's own seal issued and the same apply overwrote, and how many of them lost to another value.</summary>
    public (int Overwritten, int LostToAnotherValue) SealedAtApply => _losses.SealedAtApply;

    /// <summary>Runs <paramref name="steps"/> random steps, heals, and checks. Null = every invariant held.</summary>
    public string? Run(int steps)
    {
        try
        {
            _faults.Armed = true;
            for (int step = 0; step < steps; step++)
            {
                _time.Advance(_rng.Next(0, 40));
                string? broken = Step();
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
        catch (Exception e) when (e is EdgeSyncException or Microsoft.Data.Sqlite.SqliteException)
        {
            return Fail($"{(_faults.Armed ? "while faults were injected" : "after every fault healed")}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    private string? Fail(string? what) => what is null ? null : $"seed {_seed} ({_sites.Count} sites, {_profile}): {what}\n  trace: {_trace}";

    private IEnumerable<int> Live => Enumerable.Range(0, _sites.Count).Where(i => !_removed.Contains(i));

    private int AddSite(SimSite site)
    {
        _sites.Add(site);
        _group.Add(0);
        return _sites.Count - 1;
    }

    private string? Step()
    {
        var live = Live.ToList();
        int i = live[_rng.Next(live.Count)];
        var s = _sites[i];
        int roll = _rng.Next(100);
        if (!s.Up)
        {
            if (roll < 30)
            {
                Guard(i, "restart", s.Restart);
                _trace.Append($"restart {i}; ");
            }

            return null;
        }

        switch (roll)
        {
            case < 42:
                if (_rng.Next(40) == 0 && s.SchemaLevel < SimSite.Migrations.Length)
                {
                    Guard(i, "migrate", () => s.Upgrade());
                    _trace.Append($"migrate {i} to {s.SchemaLevel}; "); // replicas at different schema versions for a while
                    return null;
                }

                _workload.Write(s, i);
                if (_rng.Next(8) == 0)
                {
                    Observe(i);
                }

                return null;
            case < 47:
                Guard(i, "capture", () => s.Db!.Capture());
                return null;
            case < 64:
                Send(i);
                return null;
            case < 84:
                return _network.Count > 0 ? Deliver() : null;
            case < 86:
                Partition();
                return null;
            case < 88:
                s.Crash();
                _trace.Append($"crash {i}; ");
                return null;
            default:
                return Nemesis(i);
        }
    }

    private void Send(int i)
    {
        var live = Live.Where(j => j != i).ToList();
        if (live.Count == 0)
        {
            return;
        }

        int j = live[_rng.Next(live.Count)];
        var (s, t) = (_sites[i], _sites[j]);
        if (t.Up && _group[i] == _group[j])
        {
            Guard(i, "extract", () => new Outbound(new SyncEndpoint(s.Db!), t.Site, AgentRole.Peer, peerDisclaimed: t.Db!.Disclaimed)
                .Send(t.Db!.Vector, batch => _network.Add((i, j, batch.Payload)), CancellationToken.None));
        }
    }

    private void Partition()
    {
        if (_rng.Next(2) == 0)
        {
            for (int k = 0; k < _group.Count; k++)
            {
                _group[k] = 0;
            }

            _trace.Append("heal; ");
            return;
        }

        for (int k = 0; k < _group.Count; k++)
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
        if (fate == 9 || !target.Up || _removed.Contains(to) || _group[from] != _group[to])
        {
            _trace.Append($"drop {from}->{to}; ");
            return null;
        }

        bool audit = _rng.Next(6) == 0;
        if (audit && !Guard(to, "capture", () => target.Db!.Capture()))
        {
            return null;
        }

        Quiet(() => { _losses.BeforeApply(target); return 0; });
        var before = target.Db!.Vector;
        string incarnation = target.Db.SiteId;
        var cells = audit ? Quiet(() => AuditCheck.Cells(target)) : null;
        long lastConflict = audit ? Quiet(() => AuditCheck.LastConflictId(target.Db)) : 0;
        _trace.Append($"apply {from}->{to}; ");
        if (!Guard(to, "apply", () => new Inbound(new SyncEndpoint(target.Db), _sites[from].Site, AgentRole.Peer).Receive(bytes)))
        {
            return null;
        }

        Quiet(() => { _losses.AfterApply(target); return 0; });

        // Within one incarnation a vector only grows. A site that continues as a new one (its clock was set right, or
        // a peer held more of it) forgets its old id's entry and disclaims the future events it held (docs/design.md §6b).
        var after = target.Db.Vector;
        if (!after.Dominates(before) && target.Db.SiteId == incarnation)
        {
            return $"version vector of {target.Site} went backwards: {before} -> {after}";
        }

        if (audit)
        {
            Observe(to);
            return Quiet(() => AuditCheck.LossesAudited(target, cells!, lastConflict));
        }

        return null;
    }

    /// <summary>
    /// Runs one engine call on site <paramref name="i"/>. A fault injected into it must surface as the engine's typed
    /// storage error (the site carries on) or as the simulated crash (the site goes down); a batch refused for a
    /// documented reason is dropped. False when the call failed; anything else is a failure of the run.
    /// </summary>
    private bool Guard(int i, string op, Action action)
    {
        _faults.Fired = null;
        try
        {
            action();
            if (op != "apply" && _sites[i].Up)
            {
                Quiet(() => { _losses.Record(_sites[i]); return 0; }); // what it sealed, before a later write overwrites it
            }

            return true;
        }
        catch (SimulatedCrash) when (_faults.Fired is not null)
        {
            _sites[i].Crash();
            _trace.Append($"[{_faults.Fired} in {op} at {i}: down] ");
            return false;
        }
        catch (StorageException) when (_faults.Fired is not null)
        {
            _trace.Append($"[{_faults.Fired} in {op} at {i}] ");
            return false;
        }
        catch (InvalidBatchException e) when (op == "apply" && e.Message.Contains("ahead of this replica's clock", StringComparison.Ordinal))
        {
            _trace.Append($"[refused from the future at {i}] ");
            return false;
        }
        catch (SyncStateException e) when (op == "apply" && e.Code == ErrorCode.StaleBatch)
        {
            _trace.Append($"[stale batch at {i}] ");
            return false;
        }
        catch (Exception e) when (e is not SimFailure)
        {
            throw new SimFailure($"{op} on {_sites[i].Site} (slot {i}) failed"
                + (_faults.Fired is { } f ? $" after the injected fault {f}" : "") + $": {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Records what site <paramref name="i"/> holds (reading it seals what is pending: no fault is injected into that).</summary>
    private void Observe(int i) => Quiet(() => { _tracker.Observe(i, _sites[i]); _losses.Record(_sites[i]); return 0; });

    /// <summary>Runs a check of the simulation's own with no fault injected into the engine calls it makes.</summary>
    private T Quiet<T>(Func<T> check)
    {
        bool armed = _faults.Armed;
        _faults.Armed = false;
        try
        {
            return check();
        }
        finally
        {
            _faults.Armed = armed;
        }
    }

    public void Dispose()
    {
        foreach (var s in _sites)
        {
            s.Dispose();
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

/// <summary>An invariant broke, or the engine failed in a way no fault explains.</summary>
public sealed class SimFailure(string message) : Exception(message);
