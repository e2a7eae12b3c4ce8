namespace EdgeSync.Agent.Security;

/// <summary>What the hub allows a factory to do with one table.</summary>
/// <param name="Direction">The table's direction: a factory may write <c>up</c> and <c>both</c> tables, never <c>down</c> ones.</param>
/// <param name="OwnerColumn">The column holding the owning cluster id, or null when rows have no owner.</param>
internal sealed record TableRule(SyncDirection Direction, string? OwnerColumn)
{
    /// <summary>The rule of a table with no configuration: both ways, no owner.</summary>
    public static TableRule Open { get; } = new(SyncDirection.Both, null);

    /// <summary>The rule <paramref name="options"/> set for <paramref name="table"/> (an agent's, or a simulated site's).</summary>
    public static TableRule Of(AgentOptions options, string table) =>
        options.Tables.TryGetValue(table, out var t) ? new TableRule(t.Direction, t.OwnerColumn)
        : options.DirectionOf(table) == SyncDirection.Down ? new TableRule(SyncDirection.Down, null) : Open;
}
