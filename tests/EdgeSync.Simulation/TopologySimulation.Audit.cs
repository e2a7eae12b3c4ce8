using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.Simulation;

/// <summary>
/// The conflict audit in the topology, as in the peer simulation (<see cref="AuditCheck"/>): every loss an apply decides
/// is in the conflict audit of the replica that applied it. When applying a batch replaces a column's value with
/// another value whose clock had not seen it (a concurrent write that wins by its clock), the replica must hold a record
/// naming the replaced write as the loser. Checked on every apply to a replica that has nothing pending: the check
/// reads the replica's cells before the apply, and an application write not sealed yet would be read with its old
/// clock (the apply seals it first). The peer simulation seals before the applies it checks, and its reader
/// (<c>StateTracker.States</c>) seals too; here that would change the schedule, so the check reads the row states of the
/// topology's keys without sealing, with faults disarmed (the fault stream does not move either).
/// </summary>
public sealed partial class TopologySimulation
{
    /// <summary>Applies checked against the conflict audit over the run.</summary>
    public int AuditedApplies { get; private set; }

    /// <summary>The target's cells and its newest audit record before an apply this check covers; null for one it does not.</summary>
    private (Dictionary<string, (long Cl, CellClock Clock, string Value)> Cells, long LastConflict)? BeforeAuditedApply(TopologyNode target)
    {
        if (!target.Site.Up || Quiet(() => target.Site.Ids("SELECT count(*) FROM _edgesync_pending")[0]) != 0)
        {
            return null;
        }

        AuditedApplies++;
        return Quiet(() => (AuditCheck.Cells(RowStates(target)), AuditCheck.LastConflictId(target.Site.Db!)));
    }

    /// <summary>Null when every column the apply overwrote with a write that had not seen it is in the target's audit.</summary>
    private string? LossesAudited(TopologyNode target, (Dictionary<string, (long Cl, CellClock Clock, string Value)> Cells, long LastConflict) before) =>
        Quiet(() => AuditCheck.LossesAudited(target.Site.Db!, before.Cells, AuditCheck.Cells(RowStates(target)), before.LastConflict)) is { } broken
            ? $"conflict audit: {broken}" : null;

    /// <summary>The row states of every key the topology's applications write in its last-writer-wins tables, read
    /// without sealing anything (the peer simulation's reader seals first, which here would move the schedule).</summary>
    private IEnumerable<(string Key, Schema.TableInfo Info, RowState State)> RowStates(TopologyNode node)
    {
        var db = node.Site.Db!;
        var keys = new Dictionary<string, IEnumerable<object?[]>>(StringComparer.Ordinal)
        {
            ["settings"] = TopologyWorkload.SettingKeys.Select(k => new object?[] { k }),
            ["items"] = _workload.ItemKeys,
            ["counters"] = _workload.CounterIds.Select(id => new object?[] { id }),
        };
        foreach (var info in db.Tables.Where(t => keys.ContainsKey(t.Name)))
        {
            foreach (var key in keys[info.Name])
            {
                if (db.ReadRowState(info.Name, key) is { } state)
                {
                    yield return (info.Name + ":" + StateTracker.Key(key), info, state);
                }
            }
        }
    }
}
