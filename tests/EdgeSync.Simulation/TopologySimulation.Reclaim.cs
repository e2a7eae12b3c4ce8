using EdgeSync.Agent;
using EdgeSync.Agent.Sync;

namespace EdgeSync.Simulation;

/// <summary>
/// What a factory replica asks its hub back when it pulls (<see cref="RetiredOrigins"/>): the agent reads its siblings'
/// current ids and vectors from its peer board; here every sibling that is up counts as heard from, with what it holds now.
/// </summary>
public sealed partial class TopologySimulation
{
    private IReadOnlySet<string>? ReclaimFrom(TopologyNode sender, TopologyNode receiver)
    {
        if (sender.Role != AgentRole.Hub || receiver.Role != AgentRole.Factory)
        {
            return null;
        }

        var siblings = _nodes.Where(n => n != receiver && n.Role == AgentRole.Factory && n.Cluster == receiver.Cluster && n.Site.Up)
            .Select(n => (n.SiteId, n.Site.Db!.Vector));
        var reclaim = RetiredOrigins.ToReclaim(receiver.SiteId, receiver.Site.Db!.Vector, sender.Site.Db!.Vector, siblings);
        if (reclaim.Count > 0)
        {
            _trace.Append($"[reclaims {string.Join(", ", reclaim)}] ");
        }

        return reclaim;
    }
}
