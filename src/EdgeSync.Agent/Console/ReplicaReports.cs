using EdgeSync.Agent.Protocol.V1;

namespace EdgeSync.Agent.Console;

/// <summary>
/// The reports callers sent this agent about their own clusters (<see cref="ReplicaReport"/>), while their conversation
/// is open: a hub's console shows through them the factory replicas that do not dial the hub themselves (in a factory
/// usually one replica does). A caller sends one at most every <see cref="Sync.PeerConversation.ReportInterval"/>, when it
/// changed; it ends with its conversation, and the next one replaces it.
/// </summary>
internal sealed class ReplicaReports
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (ReplicaReport Report, object Conversation)> _reports = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="report"/> as what <c>report.SiteId</c> says, until its conversation ends.</summary>
    public void Put(ReplicaReport report, object conversation)
    {
        if (report.SiteId.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            _reports[report.SiteId] = (report, conversation);
        }
    }

    /// <summary>Drops what <paramref name="conversation"/> reported (a newer conversation of the same caller keeps its own).</summary>
    public void End(object conversation)
    {
        lock (_gate)
        {
            foreach (var site in _reports.Where(e => ReferenceEquals(e.Value.Conversation, conversation)).Select(e => e.Key).ToList())
            {
                _reports.Remove(site);
            }
        }
    }

    /// <summary>The reports of the open conversations.</summary>
    public IReadOnlyList<ReplicaReport> Current()
    {
        lock (_gate)
        {
            return _reports.Values.Select(v => v.Report).ToList();
        }
    }

    /// <summary>The report of <paramref name="agent"/> about <paramref name="own"/>, its cluster: every replica but itself, as it sees them.</summary>
    public static ReplicaReport Of(FleetAgent agent, FleetCluster own)
    {
        var report = new ReplicaReport { SiteId = agent.Site };
        foreach (var r in own.Replicas.Where(r => r.State != "self" && r.Via is null))
        {
            report.Replicas.Add(new ReportedReplica
            {
                SiteId = r.Site,
                State = r.State,
                Link = r.Link,
                Backlog = r.Backlog,
                LagSeconds = r.LagSeconds,
                LastSuccessUnixSeconds = r.LastSuccess?.ToUnixTimeSeconds() ?? 0,
                LastError = r.LastError ?? "",
            });
        }

        return report;
    }
}
