using EdgeSync.Agent;

namespace EdgeSync.Simulation;

/// <summary>
/// The topology's nemeses beyond the network, crashes and restored backups, each drawn from the run's seed: clocks that
/// drift, jump hours ahead or behind and are set right; power cuts that put a replica's files back to a copy taken at
/// a random earlier point (writes not yet synced are lost; the replica continues as a new incarnation); factory
/// replicas cloned onto a new volume (<c>edgesync backup</c>, then <c>restore</c> on a new replica of the same
/// factory); factory replicas whose volume is replaced by an empty one; and compaction with the linked replicas'
/// vectors. As in the peer simulation, a seed either puts files
/// back (power cuts, restored backups) or compacts, never both: a replica put back behind a peer's compaction floor
/// must be re-seeded by hand (<c>ResyncRequired</c>, docs/guarantees.md).
/// </summary>
public sealed partial class TopologySimulation
{
    /// <summary>Most replicas a run grows to by cloning.</summary>
    private const int MaxNodes = 14;

    /// <summary>True when this seed compacts (and so neither cuts the power nor restores backups).</summary>
    private bool Compacts => _seed % 3 == 2;

    private string? Nemesis(int i)
    {
        switch (_rng.Next(8))
        {
            case 0:
            case 1:
            case 2:
                Clock(i);
                return null;
            case 3 when !Compacts:
                TakeCopy(i);
                return null;
            case 4 when !Compacts:
                PowerCut(i);
                return null;
            case 5:
                Clone(i);
                return null;
            case 6 when Compacts:
            case 7 when Compacts:
                Compact(i);
                return null;
            case 6:
                EmptyVolume(i);
                return null;
            default:
                return null;
        }
    }

    /// <summary>Skews the replica's clock: mostly drift within the fleet's tolerance (5 minutes), now and then hours
    /// ahead (a bad RTC, an NTP server gone wrong), behind (up to 4 minutes, or 6–30 minutes and set right later:
    /// <c>TopologySimulation.ClockBehind.cs</c>), or set right.</summary>
    /// <remarks>A replica whose clock is more than <c>MaxClockDrift</c> + 1 min behind takes every clock it holds from
    /// its peers for one that ran ahead (docs/design.md §6b): it re-stamps what it may originate and withholds the rest
    /// (rule 5).</remarks>
    private void Clock(int i)
    {
        var clock = _nodes[i].Site.Clock;
        _setRightAt.Remove(i); // a new offset replaces the one a set-right was scheduled for
        clock.OffsetMs = _rng.Next(5) switch
        {
            0 => 0, // set right
            1 => _rng.Next(10, 6 * 60) * 60_000L, // 10 min to 6 h ahead
            2 => Behind(i), // within the tolerance, or far behind
            _ => Math.Clamp(clock.OffsetMs + _rng.Next(-60_000, 60_000), -120_000, 120_000), // drift and small steps
        };
        _trace.Append($"clock {i} {clock.OffsetMs / 1000:+#;-#;0}s; ");
    }

    /// <summary>A copy of the running replica's database and WAL, taken right after it wrote (as the peer simulation
    /// takes it): what a later power cut that loses the WAL's tail (or a disk snapshot put back) leaves behind. Not
    /// before the session's first seal: such a copy is a cleanly closed file, and putting it back after the session
    /// issued changes is the "copy of a cleanly stopped database" that docs/guarantees.md says cannot be detected
    /// (topology seed 993 did that).</summary>
    private void TakeCopy(int i)
    {
        var site = _nodes[i].Site;
        if (site.Up && Guard(i, "capture", () => site.Db!.Capture()) && site.Up)
        {
            site.Snapshot();
            _trace.Append($"copy {i}; ");
        }
    }

    /// <summary>The power goes off: the process dies, its connections with it, and its files are back at the last copy.
    /// What it wrote or received since then and did not pass on is lost; the replica starts again as a new incarnation.</summary>
    private void PowerCut(int i)
    {
        var node = _nodes[i];
        if (!node.Site.HasSnapshot)
        {
            return;
        }

        node.Site.PutBack();
        _network.RemoveAll(m => m.To == i);
        _workload.ForgetLost(_nodes.Where(n => !n.Rogue).Select(n => n.Site));
        _trace.Append($"power cut {i}; ");
        Start(i);
    }

    /// <summary>
    /// A new replica of node <paramref name="i"/>'s factory made from a backup of it, restored onto a new volume: it
    /// continues as a new incarnation of the source's site, holds what the source held, and exchanges with its
    /// siblings (and, now and then, with the hub).
    /// </summary>
    private void Clone(int i)
    {
        var source = _nodes[i];
        if (source.Role != AgentRole.Factory || source.Rogue || _nodes.Count >= MaxNodes)
        {
            return;
        }

        int k = _nodes.Count;
        string path = Path.Combine(_dir, $"n{k}.db");
        if (!Guard(i, "backup", () => source.Site.Db!.Backup(path + ".clone")))
        {
            return;
        }

        Backup.DatabaseBackup.Restore(path + ".clone", path);
        File.Delete(path + ".clone");
        int replica = _nodes.Count(n => n.Cluster == source.Cluster);
        var site = SimSite.FromFile(path, $"{source.Cluster}/edge-{replica}", new SimClock(_time), source.Site.SchemaLevel);
        var clone = new TopologyNode(site, source.Cluster, source.ClusterIndex, AgentRole.Factory, toHub: _rng.Next(2) == 0, rogue: false)
        {
            Options = TopologyNode.Config(site.Site, source.Cluster, AgentRole.Factory, source.DirectionOf(TopologyNode.OpenedTable), rogue: false),
        };
        site.MayOriginate = clone.MayOriginate;
        _nodes.Add(clone);
        _trace.Append($"clone {i} as {k}{(clone.ToHub ? "*" : "")}; ");
        Start(k);
    }

    /// <summary>
    /// A factory replica's volume is lost and replaced by an empty one (a new node, a PVC recreated): the application's
    /// schema on an empty file, the engine opened under the replica's old site id. What it wrote and did not pass on is
    /// lost; it must not reuse that id's sequence numbers (peers hold more of it: a new incarnation) and gets back
    /// from its siblings and the hub everything they hold. As in the peer simulation, its agent exchanges with the
    /// replicas it is linked to before the application writes again (docs/guarantees.md: a replacement volume that
    /// issues more changes than its peers hold of the old one before its first exchange is not covered).
    /// </summary>
    private void EmptyVolume(int i)
    {
        var node = _nodes[i];
        if (node.Role != AgentRole.Factory || node.Rogue)
        {
            return;
        }

        Quiet(() => { node.Site.ReplaceWithEmptyVolume(); return 0; }); // the new volume, as the peer simulation makes it
        _network.RemoveAll(m => m.To == i || m.From == i); // the old replica's connections died with it (as in the peer simulation)
        _workload.ForgetLost(_nodes.Where(n => !n.Rogue).Select(n => n.Site));
        _trace.Append($"empty volume {i}; ");
        Quiet(() => Guard(i, "directions", () => RecordDirections(node)));
        foreach (int j in Links(i).Where(j => !_nodes[j].Rogue).ToList())
        {
            if (!_nodes[j].Site.Up)
            {
                Quiet(() => { Start(j); return 0; }); // as the peer simulation does: the first exchange reaches every peer
            }

            if (!node.Site.Up || !_nodes[j].Site.Up)
            {
                continue;
            }

            // The agent's exchange opens with a handshake: the replica records the peer's vector, so it learns that the
            // peer holds more of its own site even when no batch follows (a hub sends a factory none of its cluster's
            // changes), and continues as a new incarnation before the application writes (topology seed 670).
            _trace.Append($"first exchange {j}->{i}; ");
            var peer = _nodes[j];
            Quiet(() => Guard(i, "handshake", () => node.Site.Db!.RecordPeerVector(peer.SiteId, peer.Site.Db!.Vector)));
            Quiet(() => node.Site.Up && Guard(i, "apply", () => Pull(node, peer))); // refused for a documented reason: traced and dropped
        }
    }

    /// <summary>Compaction as the agent runs it: every replica this one exchanges with is a required peer.</summary>
    private void Compact(int i)
    {
        var peers = Links(i).Select(j => _nodes[j].Site.Up ? _nodes[j].SiteId : _nodes[j].Site.Site).ToList();
        Guard(i, "compact", () =>
        {
            var r = _nodes[i].Site.Db!.Compact(peers);
            _trace.Append($"compact {i} ({r.LogEntries} log, {r.Tombstones} tombstones); ");
        });
    }

    /// <summary>The profile, for the failure's headline.</summary>
    private string ProfileName => Compacts ? "compaction" : "rollbacks";
}
