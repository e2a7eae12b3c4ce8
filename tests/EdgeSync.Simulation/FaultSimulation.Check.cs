using EdgeSync.Agent;
using EdgeSync.Agent.Sync;

namespace EdgeSync.Simulation;

/// <summary>Healing and the invariants checked at the end of a run.</summary>
public sealed partial class FaultSimulation
{
    /// <summary>Liveness: once every fault has healed, this many rounds of exchanges (each a star through one site,
    /// in and out) must bring every replica to the same state.</summary>
    public const int LivenessRounds = 3;

    private string? HealAndCheck()
    {
        _network.Clear();
        var live = Live.ToList();
        foreach (int i in live)
        {
            var s = _sites[i];
            _group[i] = 0;
            s.Clock.OffsetMs = 0; // every clock set right
            s.Restart();
            s.Db!.Capture();
            Observe(i);
            while (s.Upgrade())
            {
                // every replica reaches the last schema version
            }

            // The append audit (rows capture's scan cannot see: below the frontier, inside a remote run) runs every
            // AppendAuditInterval, 10 s by default. The simulation stretches it to a day so that the scan is tested on
            // its own during the run, and runs it once here, as the time after the heal would.
            s.Db.AuditAppendTables();
        }

        if (_tracker.Reused is { } reused)
        {
            return reused;
        }

        var hub = _sites[live[0]];
        int rounds = 0;
        while (!Converged(live) && rounds < LivenessRounds)
        {
            rounds++;
            foreach (int i in live.Skip(1))
            {
                Pull(hub, _sites[i]);
            }

            foreach (int i in live.Skip(1))
            {
                Pull(_sites[i], hub);
            }
        }

        foreach (int i in live)
        {
            Observe(i);
        }

        return _tracker.Reused ?? Diverged(live, rounds) ?? Lost(live) ?? _losses.Check(live.Select(i => _sites[i]).ToList());
    }

    private bool Converged(List<int> live)
    {
        var v0 = _sites[live[0]].Db!.Vector;
        string sum0 = _sites[live[0]].Db!.Checksum();
        return live.All(i => _sites[i].Db!.Vector is var v && v.Dominates(v0) && v0.Dominates(v) && _sites[i].Db!.Checksum() == sum0);
    }

    private string? Diverged(List<int> live, int rounds)
    {
        foreach (var table in new[] { "readings", "settings", "items", "counters" })
        {
            var dumps = live.Select(i => _sites[i].Dump(table)).ToList();
            int other = dumps.FindIndex(d => d != dumps[0]);
            if (other > 0)
            {
                var (a, b) = (_sites[live[0]], _sites[live[other]]);
                return $"every column of {table} compared after {rounds} rounds, all replicas at the same schema: {a.Site} and {b.Site} differ\n"
                    + $"{a.Site}:\n{dumps[0]}{b.Site}:\n{dumps[other]}";
            }
        }

        // Full row states (causal lengths and every column's clock), not only values.
        var held = live.Select(i => StateTracker.States(_sites[i]).ToList()).ToList();
        var compacted = CompactedTombstones(live, held);
        var states = held.Select(h => string.Join("\n", h
            .Where(r => !compacted.Contains(r.Key))
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} cl={r.State.CausalLength} {string.Join(",", r.State.Clocks.Select((c, k) => ClockText(r.Info, r.State, k)))}"))).ToList();
        int differs = states.FindIndex(x => x != states[0]);
        if (differs > 0)
        {
            var (a, b) = (states[0].Split('\n'), states[differs].Split('\n'));
            int line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(l => a[l] != b[l], Math.Min(a.Length, b.Length));
            return $"row states (causal lengths, clocks) of {_sites[live[0]].Site} and {_sites[live[differs]].Site} differ after {rounds} rounds:\n"
                + $"  {(line < a.Length ? a[line] : "(none)")}\n  {(line < b.Length ? b[line] : "(none)")}";
        }

        return Converged(live) ? null : $"not converged within {LivenessRounds} rounds after every fault healed (checksums or vectors differ)";
    }

    /// <summary>
    /// Keys whose tombstone compaction dropped on some replicas while others keep it (compaction is local): every
    /// replica that holds the key holds a tombstone, and every one that lacks it has a causal-length floor for the table
    /// at or above the tombstones' causal length, so a re-insert anywhere still beats them (docs/design.md §6).
    /// </summary>
    private HashSet<string> CompactedTombstones(List<int> live, List<List<(string Key, Schema.TableInfo Info, Merge.RowState State)>> held)
    {
        var floors = live.Select(i => StateTracker.CausalFloors(_sites[i])).ToList();
        var byKey = held.Select(h => h.ToDictionary(r => r.Key, r => r, StringComparer.Ordinal)).ToList();
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in byKey.SelectMany(k => k.Keys).Distinct())
        {
            var present = byKey.Where(k => k.ContainsKey(key)).Select(k => k[key]).ToList();
            if (present.Count == byKey.Count || present.Any(r => !r.State.IsDeleted))
            {
                continue;
            }

            long cl = present.Max(r => r.State.CausalLength);
            string table = present[0].Info.Name;
            if (Enumerable.Range(0, byKey.Count).Where(k => !byKey[k].ContainsKey(key)).All(k => floors[k].GetValueOrDefault(table) >= cl))
            {
                result.Add(key);
            }
        }

        return result;
    }

    /// <summary>A column added after the row was written reads the unwritten clock on one replica and the row's insert
    /// clock on another that keeps the row as an insert range (documented; same value): both print as "~". So does an
    /// added column of an append row (never updated): after its insert range is issued again under a new incarnation,
    /// its origin keeps the column's first clock while peers read the range's.</summary>
    private static string ClockText(Schema.TableInfo info, Merge.RowState state, int k)
    {
        var c = state.Clocks[k];
        bool added = k < info.Columns.Count && StateTracker.IsAddedColumn(info.Columns[k]);
        return added && (c.IsUnwritten || c.SameEvent(state.Clocks[0]) || info.Policy == Schema.TablePolicy.Append) ? "~" : c.ToString();
    }

    private string? Lost(List<int> live)
    {
        foreach (int i in live)
        {
            var s = _sites[i];
            var ids = s.Ids("SELECT id FROM readings").ToHashSet();
            if (!_workload.Readings.IsSubsetOf(ids))
            {
                return $"{s.Site} lacks append rows {string.Join(", ", _workload.Readings.Except(ids).Take(5))} (of {_workload.Readings.Count} that must survive)";
            }

            if (!ids.IsSubsetOf(_workload.Written))
            {
                return $"{s.Site} has append rows no site wrote: {string.Join(", ", ids.Except(_workload.Written).Take(5))}";
            }

            if ((_tracker.Verify(s, _time.Ms) ?? StateTracker.VerifyAudit(s)) is { } broken)
            {
                return broken;
            }
        }

        return null;
    }

    private static void Pull(SimSite into, SimSite from)
    {
        var inbound = new Inbound(new SyncEndpoint(into.Db!), from.Site, AgentRole.Peer);
        new Outbound(new SyncEndpoint(from.Db!), into.Site, AgentRole.Peer, peerDisclaimed: into.Db!.Disclaimed).Send(into.Db!.Vector, batch => inbound.Receive(batch.Payload), CancellationToken.None);
    }
}
