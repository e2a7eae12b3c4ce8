using System.IO.Hashing;
using System.Text.Json;

namespace EdgeSync.Agent.Console;

/// <summary>
/// The snapshot served to every console client: built at most once per <see cref="MaxAge"/> whatever the number of
/// browsers polling, serialized once, with a strong ETag over its bytes (unchanged fleet, unchanged ETag: a poll gets
/// 304). Per cluster views are cut from the same snapshot.
/// </summary>
internal sealed class FleetSnapshotCache(IFleetSnapshotSource source, TimeProvider time)
{
    /// <summary>How old a served snapshot may be; the page polls every second, so a change shows within 2 s.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private Entry? _current;

    /// <summary>The current snapshot, its JSON and ETag.</summary>
    public Entry Current()
    {
        lock (_gate)
        {
            if (_current is { } c && time.GetElapsedTime(c.BuiltAt) < MaxAge)
            {
                return c;
            }

            var snapshot = source.Build();
            _current = Serialize(snapshot, time.GetTimestamp(), Summary(snapshot));
            return _current;
        }
    }

    /// <summary>The view of one cluster: its replicas, the problems there, and each database's peers in it. Null when unknown.</summary>
    public static FleetSnapshot? OfCluster(FleetSnapshot all, string cluster)
    {
        var c = all.Clusters.FirstOrDefault(c => string.Equals(c.Id, cluster, StringComparison.Ordinal));
        if (c is null)
        {
            return null;
        }

        bool own = c.Id == all.Agent.Cluster;
        var databases = all.Databases.Select(d => d.Peers.Where(p => p.Cluster == cluster).ToList() is var peers ? d with
        {
            PeerCount = peers.Count,
            PeersBehind = peers.Count(p => p.Backlog > 0),
            Peers = peers,
            Divergences = d.Divergences.Where(v => own || FleetSnapshotBuilder.ClusterOf(v.Peer) == cluster).ToList(),
        } : d).ToList();
        var problems = all.Problems.Where(p => p.Cluster == cluster || (own && p.Cluster is null)).ToList();
        return all with { Problems = problems, Clusters = [c], Databases = databases };
    }

    /// <summary>The whole fleet's view: each database lists only its peers that are not fine (counts say how many there are).</summary>
    public static FleetSnapshot Summary(FleetSnapshot all) =>
        all with { Databases = all.Databases.Select(d => d with { Peers = d.Peers.Where(p => !p.IsFine).ToList() }).ToList() };

    /// <summary><paramref name="served"/> (default: <paramref name="snapshot"/>) as JSON with its ETag; <paramref name="snapshot"/> is kept to cut cluster views from.</summary>
    public static Entry Serialize(FleetSnapshot snapshot, long builtAt, FleetSnapshot? served = null)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(served ?? snapshot, FleetJson.Default.FleetSnapshot);
        string etag = $"\"{XxHash64.HashToUInt64(json):x16}\"";
        return new Entry(snapshot, json, etag, builtAt);
    }

    /// <summary>A snapshot as served.</summary>
    public sealed record Entry(FleetSnapshot Snapshot, byte[] Json, string ETag, long BuiltAt);
}
