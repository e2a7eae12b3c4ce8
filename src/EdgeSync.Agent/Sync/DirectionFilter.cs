using EdgeSync.Protocol;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The direction rules, as pure functions. <c>up</c> never flows hub → factory; <c>down</c> never flows factory → hub;
/// between any other pair of roles everything flows. Both the sender (filtering what it sends) and the receiver
/// (filtering what it applies) enforce them. A filtered batch keeps its origin ranges, so the receiver's vector
/// still advances past the withheld changes: they are never asked for again.
/// </summary>
internal static class DirectionFilter
{
    /// <summary>True when changes of a table with <paramref name="direction"/> may flow from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool Allows(SyncDirection direction, AgentRole from, AgentRole to) => direction switch
    {
        SyncDirection.Up => !(from == AgentRole.Hub && to == AgentRole.Factory),
        SyncDirection.Down => !(from == AgentRole.Factory && to == AgentRole.Hub),
        _ => true,
    };

    /// <summary>
    /// The batch without the tables that may not flow from <paramref name="from"/> to <paramref name="to"/>
    /// (the same instance when nothing is withheld). <paramref name="withheldRows"/> counts the rows removed.
    /// </summary>
    public static ChangeBatch Filter(ChangeBatch batch, Func<string, SyncDirection> directionOf, AgentRole from, AgentRole to, out int withheldRows)
    {
        withheldRows = 0;
        if (batch.Tables.All(t => Allows(directionOf(t.Table), from, to)))
        {
            return batch;
        }

        var kept = new List<TableChangeSet>(batch.Tables.Count);
        foreach (var t in batch.Tables)
        {
            if (Allows(directionOf(t.Table), from, to))
            {
                kept.Add(t);
            }
            else
            {
                withheldRows += t.Rows.Count;
            }
        }

        return new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges, kept);
    }
}
