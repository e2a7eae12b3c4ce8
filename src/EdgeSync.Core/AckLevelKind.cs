namespace EdgeSync;

/// <summary>How far a write must have travelled before it counts as acknowledged (see <see cref="AckLevel"/>).</summary>
public enum AckLevelKind
{
    /// <summary>Committed in this database.</summary>
    Local,

    /// <summary>Held by a number of other replicas (any peer this database syncs with directly, a hub included).</summary>
    Replicas,

    /// <summary>Held by a hub: a peer of another cluster than this site's.</summary>
    Hub,

    /// <summary>Exported from the hub to the NATS stream (known from the hub's conversation, or on the hub from its export).</summary>
    Exported,
}
