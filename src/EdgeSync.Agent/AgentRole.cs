namespace EdgeSync.Agent;

/// <summary>An agent's place in the topology; decides which <see cref="SyncDirection"/> rules apply to an exchange.</summary>
public enum AgentRole
{
    /// <summary>A replica in a mesh: no direction rules with anyone (default without <see cref="AgentOptions.Hub"/>).</summary>
    Peer,

    /// <summary>The HQ agent that factories sync with and that relays between them.</summary>
    Hub,

    /// <summary>A site that syncs with a hub (default when <see cref="AgentOptions.Hub"/> is set).</summary>
    Factory,
}
