using EdgeSync.Protocol;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The direction rules, as pure functions. <c>up</c> never flows hub → factory; <c>down</c> never flows factory → hub;
/// between any other pair of roles everything flows. Both the sender (filtering what it sends) and the receiver
/// (filtering what it applies) enforce them. A filtered batch keeps its origin ranges, so the receiver's vector
/// still advances past the withheld changes: they are never asked for again.
/// <para>
/// That is only safe for changes the receiver must never hold. A factory replica's own cluster's changes are not
/// such changes (its siblings send it their <c>up</c> rows over the factory mesh), so the hub never sends a factory
/// the changes whose origin is in the factory's own cluster (<see cref="ExcludeOwnCluster"/>): they travel only
/// inside the factory, and the factory's vector for them is advanced only by a sibling that holds all of them.
/// </para>
/// <para>
/// The mirror rule (<see cref="ExcludeOtherClusters"/>): a factory sends a hub only the changes whose origin is in
/// its own cluster. Everything else it holds came from the hub in the first place, and a hub refuses any change a
/// factory presents under another cluster's origin (the <c>origin</c> rule of
/// <see cref="Security.BatchAuthorizer"/>), so relayed changes keep their origin and HQ cannot be used to launder
/// another factory's writes. Those origins get no range in the factory's batches, so the hub's vector for them
/// never advances over changes it did not receive.
/// </para>
/// <para>
/// Both rules have one exception, <see cref="OwnLineage"/>: a replica's own earlier incarnations' changes (a restored
/// factory's, which the hub sends back; a put-back hub's, which a factory sends back), every table included.
/// </para>
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
                withheldRows += t.RowCount;
            }
        }

        return new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges, kept) { Disclaimed = batch.Disclaimed };
    }

    /// <summary>
    /// The cluster of a site id: the part before the first '/' (site ids are <c>CLUSTER/REPLICA</c>, as in
    /// <c>factory-001/sqlite-edge-0</c>), without a restored incarnation's <c>~N</c>.
    /// </summary>
    public static string ClusterOf(string site)
    {
        int slash = site.IndexOf('/', StringComparison.Ordinal);
        var cluster = slash > 0 ? site[..slash] : site;
        int tilde = cluster.LastIndexOf('~');
        return tilde > 0 ? cluster[..tilde] : cluster;
    }

    /// <summary>
    /// The vector to extract against when <paramref name="from"/> sends to <paramref name="to"/>: for a hub sending to
    /// a factory, every origin of the factory's own cluster is raised to what the hub holds, so none of them is sent
    /// (see the remarks on the class). Unchanged for any other pair of roles.
    /// </summary>
    public static Clocks.VersionVector ExcludeOwnCluster(Clocks.VersionVector receiver, Clocks.VersionVector sender, string receiverSite, AgentRole from, AgentRole to)
    {
        if (from != AgentRole.Hub || to != AgentRole.Factory)
        {
            return receiver;
        }

        return RaiseTo(receiver, sender, ClusterOf(receiverSite), inCluster: true);
    }

    /// <summary>
    /// The vector to extract against when <paramref name="from"/> sends to <paramref name="to"/>: for a factory sending
    /// to a hub, every origin outside the sender's own cluster is raised to what the factory holds, so only the
    /// factory's own cluster's changes are sent (see the remarks on the class). Unchanged for any other pair of roles.
    /// </summary>
    public static Clocks.VersionVector ExcludeOtherClusters(Clocks.VersionVector receiver, Clocks.VersionVector sender, string senderSite, AgentRole from, AgentRole to)
    {
        if (from != AgentRole.Factory || to != AgentRole.Hub)
        {
            return receiver;
        }

        return RaiseTo(receiver, sender, ClusterOf(senderSite), inCluster: false);
    }

    /// <summary>
    /// Whether the replica <paramref name="site"/>, in <paramref name="role"/>, may originate a change of a table with
    /// <paramref name="direction"/> whose clock names <paramref name="origin"/>: whether its own change would reach
    /// every replica that holds the original. A factory sends a hub only its own cluster's changes, and no <c>down</c>
    /// table; a hub sends a factory no <c>up</c> table. So a factory may originate only its own cluster's changes of
    /// tables that flow up; a peer anything. A hub only its own cluster's (HQ's): its re-stamp of a factory's <c>both</c>
    /// row reached every factory but ordered below the original, which no factory but the origin's own cluster sends a
    /// hub, so when that cluster had lost it a third factory kept the original for good (topology seed 2032); withheld,
    /// the hub gives the original back itself once it is no longer in its future.
    /// The engine asks when a clock set right re-stamps what it holds from the future (docs/design.md §6b, rule 5):
    /// what a replica may not originate it withholds, and the origin's side sends it back.
    /// </summary>
    public static bool MayOriginate(AgentRole role, SyncDirection direction, string site, string origin) => role switch
    {
        AgentRole.Factory => direction != SyncDirection.Down && string.Equals(ClusterOf(origin), ClusterOf(site), StringComparison.Ordinal),
        AgentRole.Hub => string.Equals(ClusterOf(origin), ClusterOf(site), StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>A site id without a restored incarnation's <c>~N</c> suffix: the replica it names.</summary>
    public static string BaseOf(string site)
    {
        int tilde = site.LastIndexOf('~');
        return tilde > 0 && tilde < site.Length - 1 && site.AsSpan(tilde + 1).ContainsAnyExceptInRange('0', '9') is false ? site[..tilde] : site;
    }

    /// <summary>True when <paramref name="origin"/> is another incarnation of the replica <paramref name="receiverSite"/> names (restored, replaced).</summary>
    public static bool IsEarlierIncarnation(string origin, string receiverSite) =>
        !string.Equals(origin, receiverSite, StringComparison.Ordinal) && string.Equals(BaseOf(origin), BaseOf(receiverSite), StringComparison.Ordinal);

    /// <summary>
    /// For a hub sending to a factory: the vector that extracts only the changes of the receiver's earlier incarnations
    /// it lacks (every other origin raised to what the hub holds), or null when it lacks none. The own-cluster rule keeps
    /// these from the factory too, but nobody else may hold them: a one-replica factory restored from a backup has no
    /// sibling to send back what it wrote after the backup, so they come from the hub, every table included (they are
    /// the receiver's own writes; see <see cref="IsOwnLineage"/>). <paramref name="reclaim"/>: origins of the receiver's
    /// cluster it asked back (<see cref="RetiredOrigins"/>), sent the same way; any outside its cluster are ignored.
    /// <para>
    /// The same the other way round, for a factory sending to a hub: the changes of the hub's earlier incarnations it
    /// lacks (<paramref name="reclaim"/> ignored). The other-cluster rule keeps them from the hub, but after the hub's
    /// files were put back (a power cut to an earlier copy, a backup) its factories may be the only ones holding what it
    /// wrote, or deleted, after the copy: in every table, <c>down</c> ones included. The hub admits them
    /// (<see cref="Security.BatchAuthorizer"/>: the hub's earlier incarnations never write again).
    /// </para>
    /// </summary>
    public static Clocks.VersionVector? OwnLineage(
        Clocks.VersionVector receiver, Clocks.VersionVector sender, string receiverSite, AgentRole from, AgentRole to, IReadOnlySet<string>? reclaim = null)
    {
        bool toHub = from == AgentRole.Factory && to == AgentRole.Hub;
        if (!toHub && (from != AgentRole.Hub || to != AgentRole.Factory))
        {
            return null;
        }

        if (toHub)
        {
            reclaim = null; // a hub asks nothing back: its lineage is its own earlier incarnations
        }

        bool lacks = false;
        var raised = new List<KeyValuePair<string, long>>(sender.Count);
        foreach (var entry in sender)
        {
            if (!IsLineage(entry.Key, receiverSite, reclaim))
            {
                raised.Add(entry);
            }
            else if (receiver[entry.Key] < entry.Value)
            {
                lacks = true;
            }
        }

        // One vector built once: a fleet's vectors have hundreds of entries, and a copy per raised entry made every round
        // quadratic in the fleet's size.
        return lacks ? Clocks.VersionVector.From(receiver.Concat(raised)) : null;
    }

    /// <summary>
    /// True when every origin range of <paramref name="batch"/> is an earlier incarnation of <paramref name="receiverSite"/>
    /// or an origin of its cluster it asked back (<paramref name="reclaim"/>): its own cluster's writes coming back
    /// (<see cref="OwnLineage"/>), to which no direction applies.
    /// </summary>
    public static bool IsOwnLineage(ChangeBatch batch, string receiverSite, IReadOnlySet<string>? reclaim = null) =>
        batch.Ranges.Count > 0 && batch.Ranges.All(r => IsLineage(r.Site, receiverSite, reclaim));

    /// <summary>
    /// For a factory sending a hub its earlier incarnations' changes (<see cref="OwnLineage"/>): true when a row of
    /// <paramref name="batch"/> carries a change <paramref name="receiver"/> lacks of a site that is neither of the
    /// sender's cluster nor an earlier incarnation of <paramref name="receiverSite"/> (rows travel as full states, so a
    /// row the hub's earlier incarnation wrote may carry another factory's column the hub lost with it). The hub's
    /// <c>origin</c> rule refuses such a batch whole; the sender holds it back until that factory has sent the hub its
    /// own changes again (it does, the hub's vector lacking them).
    /// </summary>
    public static bool CarriesOthersChanges(ChangeBatch batch, Clocks.VersionVector receiver, string senderSite, string receiverSite)
    {
        string cluster = ClusterOf(senderSite);
        bool Foreign(string site, long seq) =>
            seq > receiver[site] && !string.Equals(ClusterOf(site), cluster, StringComparison.Ordinal) && !IsEarlierIncarnation(site, receiverSite);

        foreach (var set in batch.Tables)
        {
            if (set.Runs.Any(r => Foreign(r.Site, r.LastSeq)) || set.Rows.Any(r => r.State.Clocks.Any(c => Foreign(c.Site, c.Seq))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLineage(string origin, string receiverSite, IReadOnlySet<string>? reclaim) =>
        IsEarlierIncarnation(origin, receiverSite)
        || (reclaim is not null && reclaim.Contains(origin) && string.Equals(ClusterOf(origin), ClusterOf(receiverSite), StringComparison.Ordinal));

    /// <summary>
    /// <paramref name="receiver"/> with every origin of <paramref name="sender"/> that is (<paramref name="inCluster"/>)
    /// or is not in <paramref name="cluster"/> raised to the sender's sequence: those origins are not extracted.
    /// </summary>
    private static Clocks.VersionVector RaiseTo(Clocks.VersionVector receiver, Clocks.VersionVector sender, string cluster, bool inCluster)
    {
        var raised = sender.Where(e => string.Equals(ClusterOf(e.Key), cluster, StringComparison.Ordinal) == inCluster).ToList();
        return raised.Count == 0 ? receiver : Clocks.VersionVector.From(receiver.Concat(raised)); // built once, not copied per entry
    }
}
