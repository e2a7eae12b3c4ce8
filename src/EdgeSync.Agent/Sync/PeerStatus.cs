using EdgeSync.Clocks;

namespace EdgeSync.Agent.Sync;

/// <summary>What this replica knows about one peer: its last vector and when it last synced.</summary>
internal sealed class PeerStatus(string site)
{
    public string Site { get; } = site;

    public VersionVector Vector { get; set; } = VersionVector.Empty;

    public DateTimeOffset? LastSuccess { get; set; }

    /// <summary>The last time anything was heard from the peer (a vector, a call, its open conversation).</summary>
    public DateTimeOffset? LastSeen { get; set; }

    /// <summary>The last time the peer was seen holding everything this replica had.</summary>
    public DateTimeOffset CaughtUpAt { get; set; }
}
