using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Security;

/// <summary>
/// The hub's authorization rules for a batch a factory sent, as a pure function of the batch, the sender's cluster,
/// the table rules, the hub's vector and a lookup of the hub's current row states. Any violation refuses the whole
/// batch; see docs/design.md ("Authorization at the hub").
/// <list type="bullet">
/// <item><c>down-table</c>: no rows of a <c>down</c> table.</item>
/// <item><c>origin</c>: the batch's sender and every origin range are sites of the sender's cluster; a clock of
/// another site may appear in a row (rows travel as full states, with every column's clock) only where it changes
/// nothing at the hub: the hub holds that cell at the same or a newer clock, or a newer incarnation of the row.</item>
/// <item><c>owner</c> (tables with an owner column): a live row's owner is the sender's cluster; a delete of a row
/// whose key holds the owner is of the sender's own row; and the hub does not currently hold the row alive with
/// another owner (no hijack by rewriting the owner column, no delete of another cluster's row).</item>
/// </list>
/// Rows whose every change the hub already holds are skipped, as apply skips them: they change nothing.
/// <para>
/// The hub's own earlier incarnations (given the hub's current site id: another id of the same replica, never the
/// current one) are the one exception to "the sender's cluster": after the hub's files were put back, a factory sends
/// back what those wrote (<see cref="DirectionFilter.OwnLineage"/>). Their ranges and clocks pass the <c>origin</c>
/// rule, and a row whose every change the hub lacks is theirs passes every rule, in any table: it is the hub's own
/// write (docs/security.md says what that trusts a factory with).
/// </para>
/// </summary>
internal static partial class BatchAuthorizer
{
    /// <summary>Most violations collected per batch (the batch is refused at the first one; the rest help the operator).</summary>
    public const int MaxViolations = 100;

    /// <summary>Every violation of the rules by <paramref name="batch"/> (at most <see cref="MaxViolations"/>); empty when the batch may be applied.</summary>
    /// <remarks><paramref name="hubSite"/>: the hub's current site id, whose earlier incarnations' changes are admitted;
    /// null admits none.</remarks>
    public static IReadOnlyList<Violation> Authorize(
        ChangeBatch batch, string senderCluster, Func<string, TableRule> ruleOf, VersionVector hubVector, StoredRowLookup stored, string? hubSite = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(ruleOf);
        ArgumentNullException.ThrowIfNull(hubVector);
        ArgumentNullException.ThrowIfNull(stored);
        var violations = new List<Violation>();
        if (!InCluster(batch.Sender, senderCluster))
        {
            violations.Add(new Violation(AuthorizationRule.Origin, null, null,
                $"the batch says it was extracted by '{batch.Sender}', which is not a site of cluster '{senderCluster}'"));
        }

        foreach (var range in batch.Ranges)
        {
            if (!InCluster(range.Site, senderCluster) && !IsRetiredHub(range.Site, hubSite))
            {
                Add(violations, new Violation(AuthorizationRule.Origin, null, null,
                    $"origin range of '{range.Site}' ({range.From}, {range.To}]: a factory may only send changes made in its own cluster '{senderCluster}'"));
            }
        }

        foreach (var set in batch.Tables)
        {
            if (violations.Count >= MaxViolations)
            {
                break;
            }

            CheckTable(set, ruleOf(set.Table), senderCluster, hubSite, hubVector, stored, violations);
        }

        return violations;
    }

    private static void CheckTable(
        TableChangeSet set, TableRule rule, string cluster, string? hubSite, VersionVector hubVector, StoredRowLookup stored, List<Violation> violations)
    {
        int rowCount = set.RowCount;
        if (rowCount == 0)
        {
            return;
        }

        if (rule.Direction == SyncDirection.Down)
        {
            if (FirstNotTheHubs(set, hubSite, hubVector) is { } firstKey)
            {
                Add(violations, new Violation(AuthorizationRule.DownTable, set.Table, KeyText(firstKey),
                    $"{rowCount} row(s) of a 'down' table, which only HQ writes"));
            }

            return;
        }

        int owner = rule.OwnerColumn is null ? -1 : IndexOf(set.Columns, rule.OwnerColumn);
        if (rule.OwnerColumn is not null && owner < 0)
        {
            Add(violations, new Violation(AuthorizationRule.Owner, set.Table, null, $"the rows have no owner column '{rule.OwnerColumn}'"));
            return;
        }

        int ownerInKey = owner < 0 ? -1 : IndexOf(set.KeyColumns, set.Columns[owner]);
        foreach (var row in RowsToCheck(set, cluster, hubSite, owner >= 0))
        {
            if (violations.Count >= MaxViolations)
            {
                return;
            }

            var state = row.State;
            if (Covered(state, hubVector) || TheHubsOwn(state, hubSite, hubVector))
            {
                continue;
            }

            bool loaded = false;
            RowState? hub = null;
            RowState? Hub()
            {
                if (!loaded)
                {
                    hub = stored(set, row.Key);
                    loaded = true;
                }

                return hub;
            }

            for (int i = 0; i < state.Clocks.Length; i++)
            {
                var c = state.Clocks[i];
                if (!InCluster(c.Site, cluster) && !IsRetiredHub(c.Site, hubSite) && !Dominated(Hub(), state, i))
                {
                    Add(violations, new Violation(AuthorizationRule.Origin, set.Table, KeyText(row.Key),
                        $"a change presented as made by '{c.Site}' (sequence {c.Seq}) that the hub does not hold; a factory may only send changes made in its own cluster '{cluster}'"));
                    break;
                }
            }

            if (owner < 0)
            {
                continue;
            }

            if (!state.IsDeleted && !IsOwner(state.Values![owner], cluster))
            {
                Add(violations, new Violation(AuthorizationRule.Owner, set.Table, KeyText(row.Key),
                    $"{set.Columns[owner]} is {SqlValue.Display(state.Values[owner])}, not the sender's cluster '{cluster}'"));
            }
            else if (state.IsDeleted && ownerInKey >= 0 && !IsOwner(row.Key[ownerInKey], cluster))
            {
                Add(violations, new Violation(AuthorizationRule.Owner, set.Table, KeyText(row.Key),
                    $"a delete of a row whose {set.Columns[owner]} is {SqlValue.Display(row.Key[ownerInKey])}, not the sender's cluster '{cluster}'"));
            }
            else if (Hub() is { IsDeleted: false } current && !IsOwner(current.Values![owner], cluster))
            {
                Add(violations, new Violation(AuthorizationRule.Owner, set.Table, KeyText(row.Key),
                    $"{(state.IsDeleted ? "a delete of" : "a change of")} a row the hub holds with {set.Columns[owner]} {SqlValue.Display(current.Values[owner])}; "
                    + $"cluster '{cluster}' may only change its own rows"));
            }
        }
    }

    /// <summary>
    /// The rows the per-row rules must see: every row state, and the rows of insert runs unless the run can break
    /// none of them (its origin is in the sender's cluster and the table has no owner column).
    /// </summary>
    private static IEnumerable<RowChange> RowsToCheck(TableChangeSet set, string cluster, string? hubSite, bool hasOwner)
    {
        foreach (var row in set.Rows)
        {
            yield return row;
        }

        foreach (var run in set.Runs)
        {
            if ((!hasOwner && InCluster(run.Site, cluster)) || IsRetiredHub(run.Site, hubSite))
            {
                continue; // a run's rows carry only its origin's clock: the hub's own earlier writes pass every rule
            }

            for (int i = 0; i < run.Count; i++)
            {
                yield return run.Materialize(i);
            }
        }
    }

    /// <summary>True when the hub's current state makes clock <paramref name="column"/> of <paramref name="incoming"/> change nothing.</summary>
    private static bool Dominated(RowState? hub, RowState incoming, int column)
    {
        if (hub is null || hub.CausalLength < incoming.CausalLength)
        {
            return false;
        }

        if (hub.CausalLength > incoming.CausalLength)
        {
            return true; // the hub's newer incarnation of the row wins over all of the incoming state
        }

        if (incoming.IsDeleted)
        {
            return hub.IsDeleted && hub.Clocks[0] >= incoming.Clocks[0];
        }

        return !hub.IsDeleted && column < hub.Clocks.Length && hub.Clocks[column] >= incoming.Clocks[column];
    }

    /// <summary>True when the hub holds every change in the state (apply skips such a row).</summary>
    private static bool Covered(RowState state, VersionVector hubVector)
    {
        foreach (var c in state.Clocks)
        {
            if (c.Seq > hubVector[c.Site])
            {
                return false;
            }
        }

        return true;
    }

    private static bool InCluster(string site, string cluster) => string.Equals(DirectionFilter.ClusterOf(site), cluster, StringComparison.Ordinal);

    private static bool IsOwner(object? value, string cluster) => value is string s && string.Equals(s, cluster, StringComparison.Ordinal);

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static void Add(List<Violation> violations, Violation violation)
    {
        if (violations.Count < MaxViolations)
        {
            violations.Add(violation);
        }
    }

    /// <summary>A row key as text, e.g. <c>('f1-1')</c> or <c>('a', 2)</c>.</summary>
    public static string KeyText(object?[] key) => "(" + string.Join(", ", key.Select(SqlValue.Display)) + ")";
}
