using EdgeSync.Agent;
using EdgeSync.Agent.Sync;
using EdgeSync.Errors;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Simulation;

/// <summary>
/// The agents' lifecycle in the topology (backups and restores, a direction change rolled out, starts) and
/// <see cref="Guard"/>, through which every engine call runs: the faults it may surface and the refusals the agent
/// takes in its stride.
/// </summary>
public sealed partial class TopologySimulation
{

    /// <summary>A factory replica backs itself up, or is lost and restored from its backup (then starts again).</summary>
    private void BackupOrRestore(int i)
    {
        var node = _nodes[i];
        if (node.Role != AgentRole.Factory || node.Rogue || Compacts)
        {
            return;
        }

        if (!node.Site.HasBackup)
        {
            if (Guard(i, "backup", node.Site.Backup))
            {
                _trace.Append($"backup {i}; ");
            }

            return;
        }

        node.Site.RestoreBackup();
        _network.RemoveAll(m => m.To == i);
        _workload.ForgetLost(_nodes.Where(n => !n.Rogue).Select(n => n.Site));
        _trace.Append($"restore {i} from its backup; ");
        Start(i);
    }

    /// <summary>The direction change reaches node <paramref name="i"/>: its agent restarts with <c>counters</c> as <c>both</c>.</summary>
    private void RollOut(int i)
    {
        var node = _nodes[i];
        if (node.DirectionOf(TopologyNode.OpenedTable) == SyncDirection.Both)
        {
            return;
        }

        node.Options = TopologyNode.Config(node.Site.Site, node.Cluster, node.Role, SyncDirection.Both, node.Rogue);
        node.Site.Crash();
        _network.RemoveAll(m => m.To == i || m.From == i);
        _trace.Append($"config {i}: counters both; ");
        Start(i);
    }

    /// <summary>Starts node <paramref name="i"/>'s agent: opens the database and checks the table directions (a hub re-offers a table opened towards factories).</summary>
    private void Start(int i)
    {
        var node = _nodes[i];
        if (Guard(i, "restart", node.Site.Restart))
        {
            Guard(i, "directions", () => RecordDirections(node));
        }
    }

    private static void RecordDirections(TopologyNode node) =>
        DirectionHistory.Check(node.Site.Db!, "sim", node.Options, NullLogger.Instance, CancellationToken.None);

    /// <summary>
    /// Runs one engine call on node <paramref name="i"/>. A fault injected into it must surface as the engine's typed
    /// storage error or as the simulated crash (the node goes down); a batch refused for a documented reason is dropped.
    /// False when the call failed; anything else is a failure of the run.
    /// </summary>
    private bool Guard(int i, string op, Action action)
    {
        _faults.Fired = null;
        try
        {
            action();
            return true;
        }
        catch (SimulatedCrash) when (_faults.Fired is not null)
        {
            _nodes[i].Site.Crash();
            _network.RemoveAll(m => m.To == i);
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
        catch (InvalidBatchException e) when (op == "apply" && e.Message.Contains("so the hub's direction differs", StringComparison.Ordinal))
        {
            _trace.Append($"[directions differ at {i}: refused] "); // a direction change that reached the hub first
            return false;
        }
        catch (SyncStateException e) when (op == "apply" && e.Code == ErrorCode.StaleBatch)
        {
            _trace.Append($"[stale batch at {i}] ");
            return false;
        }
        catch (Exception e) when (e is not SimFailure)
        {
            throw new SimFailure($"{op} on {_nodes[i].Site.Site} (node {i}) failed"
                + (_faults.Fired is { } f ? $" after the injected fault {f}" : "") + $": {e.GetType().Name}: {e.Message}");
        }
    }

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
}
