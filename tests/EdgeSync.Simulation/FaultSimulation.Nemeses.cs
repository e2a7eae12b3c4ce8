namespace EdgeSync.Simulation;

/// <summary>The nemeses beyond the network and plain crashes; each draws from the run's seed.</summary>
public sealed partial class FaultSimulation
{
    private readonly Dictionary<int, Dictionary<string, (long Cl, Clocks.CellClock[]? Clocks)>> _snapshotSeen = [];
    private readonly Dictionary<int, Dictionary<string, (long Cl, Clocks.CellClock[]? Clocks)>> _backupSeen = [];

    private string? Nemesis(int i)
    {
        var s = _sites[i];
        switch (_rng.Next(10))
        {
            case 0:
            case 1:
                return Clock(i);
            case 2 when _profile == Profile.Rollbacks:
                // A copy of the running replica's files, taken right after it wrote: a disk snapshot, or what a power
                // cut that loses the WAL's tail leaves behind.
                if (Guard(i, "capture", () => s.Db!.Capture()))
                {
                    s.Snapshot();
                    _snapshotSeen[i] = _tracker.Snapshot(i);
                    _trace.Append($"snapshot {i}; ");
                }

                return null;
            case 3 when _profile == Profile.Rollbacks && s.HasSnapshot:
                s.PutBack();
                Forget(i, _snapshotSeen[i]);
                _trace.Append($"power cut {i}; ");
                return null;
            case 4 when _profile == Profile.Rollbacks:
                if (!s.HasBackup)
                {
                    Guard(i, "backup", s.Backup);
                    _backupSeen[i] = _tracker.Snapshot(i);
                    _trace.Append($"backup {i}; ");
                    return null;
                }

                s.RestoreBackup();
                Forget(i, _backupSeen[i]);
                _trace.Append($"restore {i} from its backup; ");
                return null;
            case 5 when _profile == Profile.Rollbacks && _rng.Next(3) == 0:
                Quiet(() => { s.ReplaceWithEmptyVolume(); return 0; });
                Forget(i, new(StringComparer.Ordinal));
                _tracker.ForgetVolume(i);
                Quiet(() => { _losses.ForgetVolume(s.Site, Live.Where(j => j != i).Select(j => _sites[j])); return 0; });
                _trace.Append($"empty volume {i}; ");
                FirstExchange(i);
                return null;
            case 5 when _profile == Profile.Compaction:
            case 6 when _profile == Profile.Compaction:
                Compact(i);
                return null;
            case 7 when _sites.Count < 60:
                Clone(i);
                return null;
            case 8 when _profile != Profile.Compaction && _sites.Count < 60:
                int k = AddSite(Quiet(() => new SimSite(Path.Combine(_dir, $"s{_sites.Count}.db"), $"site-{_sites.Count}", new SimClock(_time))));
                _trace.Append($"new peer {k}; ");
                return null;
            case 9 when Live.Count() > 3 && _rng.Next(2) == 0:
                Remove(i);
                return null;
            default:
                return null;
        }
    }

    /// <summary>Skews the site's clock, or makes it jump: mostly within the fleet's tolerance (5 minutes), now and
    /// then far ahead (a bad RTC) or back to the true time (the clock set right).</summary>
    private string? Clock(int i)
    {
        var s = _sites[i];
        long offset = _rng.Next(6) switch
        {
            0 => 0, // set right
            1 => _rng.Next(10, 120) * 60_000L, // far ahead
            2 => -_rng.Next(1, 240) * 1_000L, // behind
            _ => s.Clock.OffsetMs + _rng.Next(-90_000, 90_000), // drift and small steps both ways
        };
        s.Clock.OffsetMs = offset;
        _trace.Append($"clock {i} {offset / 1000:+#;-#;0}s; ");
        if (Guard(i, "capture", () => s.Db!.Capture()) && s.Up)
        {
            Observe(i); // a clock set right re-stamps what was written ahead: see it before it is overwritten
        }

        return null;
    }

    /// <summary>Files went back to an earlier state: what only this site held since then may be lost.</summary>
    private void Forget(int i, Dictionary<string, (long Cl, Clocks.CellClock[]? Clocks)> seen)
    {
        _tracker.Restore(i, seen);
        _workload.ForgetLost(_sites.Where((_, k) => !_removed.Contains(k)));
        _network.RemoveAll(m => m.To == i && _rng.Next(2) == 0);
    }

    /// <summary>
    /// A replacement volume syncs with its peers before the application writes to it (docs/guarantees.md): the old
    /// process's connections died with it (nothing it sent is still in flight), and it pulls from every peer, so it
    /// sees whatever of its old self any of them holds.
    /// </summary>
    private void FirstExchange(int i)
    {
        _network.RemoveAll(m => m.From == i);
        foreach (int j in Live.Where(j => j != i))
        {
            if (!_sites[j].Up)
            {
                Guard(j, "restart", _sites[j].Restart);
            }

            if (_sites[j].Up && _sites[i].Up)
            {
                try
                {
                    Quiet(() => { Pull(_sites[i], _sites[j]); return 0; });
                }
                catch (Errors.InvalidBatchException e) when (e.Message.Contains("ahead of this replica's clock", StringComparison.Ordinal))
                {
                    _trace.Append($"[first exchange {j}->{i} refused from the future] ");
                }
            }
        }
    }

    /// <summary>Compaction with the peers' vectors: every other live site is a required peer, as the agent's config lists them.</summary>
    private void Compact(int i)
    {
        var s = _sites[i];
        var peers = Live.Where(j => j != i).Select(j => _sites[j].Site).ToList();
        Guard(i, "compact", () =>
        {
            var r = s.Db!.Compact(peers);
            _trace.Append($"compact {i} ({r.LogEntries} log, {r.Tombstones} tombstones); ");
        });
    }

    /// <summary>A new replica made from a backup of this one (<c>edgesync backup</c> then <c>restore</c> on the new volume).</summary>
    private void Clone(int i)
    {
        var s = _sites[i];
        string path = Path.Combine(_dir, $"s{_sites.Count}.db");
        if (!Guard(i, "backup", () => s.Db!.Backup(path + ".clone")))
        {
            return;
        }

        Backup.DatabaseBackup.Restore(path + ".clone", path);
        var clone = SimSite.FromFile(path, $"site-{_sites.Count}", new SimClock(_time), s.SchemaLevel);
        int k = AddSite(clone);
        _group[k] = _group[i];
        _trace.Append($"clone {i} as {k}; ");
        Guard(k, "restart", clone.Restart);
    }

    /// <summary>A peer leaves for good: it stops, and the others drop it from their configuration.</summary>
    private void Remove(int i)
    {
        _sites[i].Crash();
        _removed.Add(i);
        _workload.ForgetLost(_sites.Where((_, k) => !_removed.Contains(k)));
        _tracker.Restore(i, new(StringComparer.Ordinal));
        _network.RemoveAll(m => m.To == i);
        _trace.Append($"remove {i}; ");
    }
}
