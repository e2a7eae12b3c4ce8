namespace EdgeSync.Agent;

/// <summary>
/// Which way a table's changes flow between a <see cref="AgentRole.Hub"/> and a <see cref="AgentRole.Factory"/>.
/// Between two agents of the same role (or a <see cref="AgentRole.Peer"/>) every direction flows.
/// </summary>
public enum SyncDirection
{
    /// <summary>Both ways (default).</summary>
    Both,

    /// <summary>Factory → hub only (e.g. telemetry): a hub never sends it to a factory, nor does a factory accept it from a hub.</summary>
    Up,

    /// <summary>Hub → factory only (e.g. configuration): a factory never sends it to a hub, nor does a hub accept it from a factory.</summary>
    Down,
}
