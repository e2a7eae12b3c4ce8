namespace EdgeSync;

/// <summary>
/// How far the changes of an <see cref="AckTicket"/> got: whether <see cref="Level"/> was <see cref="Reached"/>,
/// and, as known from peers' vectors, which replicas hold them all (<see cref="PeersHolding"/>, by site id, the hub
/// included) and whether a hub does.
/// </summary>
public sealed record AckResult(AckTicket Ticket, AckLevel Level, bool Reached, IReadOnlyList<string> PeersHolding, bool HubHolds)
{
    /// <summary>Replicas other than this one known to hold every change of the ticket.</summary>
    public int ReplicasHolding => PeersHolding.Count;
}
