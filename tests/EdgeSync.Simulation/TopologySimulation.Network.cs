using EdgeSync.Agent;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;

namespace EdgeSync.Simulation;

/// <summary>
/// The topology's network: which replicas exchange (<see cref="Links"/>), a batch extracted through the agent's
/// <see cref="Outbound"/> and queued, a queued batch delivered (in any order, now and then twice or never) through
/// <see cref="Inbound"/> with the hub's authorization, and a factory's batches presented to the hub under another
/// cluster's name.
/// </summary>
public sealed partial class TopologySimulation
{

    /// <summary>The nodes node <paramref name="i"/> exchanges with: its factory's other replicas, and the hub if it is linked (or every linked node, for the hub).</summary>
    private IEnumerable<int> Links(int i)
    {
        var a = _nodes[i];
        for (int j = 0; j < _nodes.Count; j++)
        {
            var b = _nodes[j];
            if (j != i && ((a.Role == AgentRole.Factory && b.Role == AgentRole.Factory && a.Cluster == b.Cluster)
                || (a.Role == AgentRole.Hub && b.ToHub) || (b.Role == AgentRole.Hub && a.ToHub)))
            {
                yield return j;
            }
        }
    }

    private void Send(int i)
    {
        var links = Links(i).ToList();
        if (links.Count == 0)
        {
            return;
        }

        int j = links[_rng.Next(links.Count)];
        var (s, t) = (_nodes[i], _nodes[j]);
        if (t.Site.Up)
        {
            string sender = s.SiteId;
            var reclaim = ReclaimFrom(s, t);
            Guard(i, "extract", () => new Outbound(s.Endpoint, t.SiteId, t.Role, reclaim: reclaim, peerDisclaimed: t.Site.Db!.Disclaimed)
                .Send(t.Site.Db!.Vector, batch => _network.Add((i, j, sender, batch.Payload, reclaim)), CancellationToken.None));
        }
    }

    private string? Deliver()
    {
        int k = _rng.Next(_network.Count); // any queued batch: reordering
        var (from, to, sender, bytes, reclaimed) = _network[k];
        int fate = _rng.Next(10);
        if (fate > 1)
        {
            _network.RemoveAt(k); // fate 0-1 leaves it queued: delivered again later (duplicate)
        }

        var target = _nodes[to];
        if (fate == 9 || !target.Site.Up)
        {
            return null;
        }

        _trace.Append($"apply {from}->{to}; ");
        UnauthorizedBatchException? refused = null;
        var audit = BeforeAuditedApply(target); // an apply to a replica with nothing pending: TopologySimulation.Audit.cs
        bool applied = Guard(to, "apply", () =>
        {
            try
            {
                new Inbound(target.Endpoint, sender, _nodes[from].Role, target.AuthorizeFrom(sender), reclaim: reclaimed).Receive(bytes);
            }
            catch (UnauthorizedBatchException e)
            {
                refused = e;
            }
        });

        if (refused is not null)
        {
            if (!_nodes[from].Rogue)
            {
                return $"the hub refused a batch of a factory that wrote only what it may: {refused.Message}";
            }

            Refused++;
            _trace.Append($"[refused: {refused.Rule}] ");
        }
        else if (applied && audit is not null && target.Site.Up && LossesAudited(target, audit.Value) is { } unaudited)
        {
            return unaudited;
        }

        return to == 0 && _nodes[from].Rogue && Hub.Site.Up ? Quiet(RogueHeldByHub) : null; // down: a fault crashed it mid-apply
    }

    /// <summary>
    /// A factory's batches presented to the hub as another cluster's (a stolen connection, a misconfigured site id): the
    /// hub must refuse every one of them, with nothing of it applied.
    /// </summary>
    private string? PresentAsAnotherCluster(int i)
    {
        var node = _nodes[i];
        if (node.Role != AgentRole.Factory || node.Rogue || !Hub.Site.Up)
        {
            return null;
        }

        var others = _nodes.Where(n => n.Role == AgentRole.Factory && n.Cluster != node.Cluster).ToList();
        string claimed = others.Count > 0 ? others[_rng.Next(others.Count)].Site.Site : "factory-999/edge-0";
        Quiet(() => Hub.Site.Db!.Capture()); // the check seals the hub's own pending writes: its vector moves by those
        var before = Hub.Site.Db!.Vector;
        string? broken = null;
        Guard(i, "extract", () =>
        {
            try
            {
                new Outbound(node.Endpoint, Hub.SiteId, AgentRole.Hub).Send(before, batch =>
                {
                    try
                    {
                        new Inbound(Hub.Endpoint, claimed, AgentRole.Factory, Hub.AuthorizeFrom(claimed)).Receive(batch.Payload);
                        broken ??= $"the hub took a batch of {node.SiteId} presented as {claimed}'s ({batch.Rows} rows)";
                    }
                    catch (UnauthorizedBatchException)
                    {
                        Refused++;
                    }
                }, CancellationToken.None);
            }
            catch (SyncStateException e) when (e.Code == ErrorCode.ResyncRequired && !node.ToHub)
            {
                // A replica that does not exchange with the hub compacts without waiting for it (the agent's required
                // peers are its configured peers and the peer board), so it may have compacted past what the hub holds:
                // it refuses to extract for the hub, and nothing is presented (seeds 539, 986).
                _trace.Append($"[{i} compacted past the hub: nothing presented] ");
            }
        });
        if (broken is null && Hub.Site.Db!.Vector is var after && !(after.Dominates(before) && before.Dominates(after)))
        {
            broken = $"the hub's vector moved on a batch presented as {claimed}'s: {before} -> {Hub.Site.Db.Vector}";
        }

        return broken;
    }
}
