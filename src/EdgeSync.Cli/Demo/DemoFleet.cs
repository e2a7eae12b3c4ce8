namespace EdgeSync.Cli.Demo;

/// <summary>
/// The demo fleet: an HQ hub and N factories of M replicas, one real agent per site in this process. The replicas of
/// a factory form a full mesh (each dials the siblings started before it; a sync round pulls and pushes both ways),
/// and the factory's first replica is its gateway to the hub.
/// </summary>
/// <remarks>
/// Only the gateway dials the hub, not every replica: the agent keeps a batch's origin ranges when it withholds an
/// <c>up</c> table coming from the hub, so a replica that heard of a sibling's telemetry through HQ first would count
/// it as received and never pull it from the sibling. With one way from each factory to the hub, a factory's own
/// changes always reach its replicas through the factory mesh, and HQ only relays other sites' changes.
/// </remarks>
internal sealed class DemoFleet : IAsyncDisposable
{
    private DemoFleet(DemoSite hub, IReadOnlyList<IReadOnlyList<DemoSite>> factories)
    {
        Hub = hub;
        Factories = factories;
        FactoryReplicas = factories.SelectMany(f => f).ToList();
        All = [hub, .. FactoryReplicas];
    }

    public DemoSite Hub { get; }

    /// <summary>Replicas by factory: <c>Factories[0]</c> is <c>factory-001</c>.</summary>
    public IReadOnlyList<IReadOnlyList<DemoSite>> Factories { get; }

    public IReadOnlyList<DemoSite> FactoryReplicas { get; }

    /// <summary>HQ first, then every factory replica.</summary>
    public IReadOnlyList<DemoSite> All { get; }

    /// <summary>The sites' database files under <paramref name="directory"/>, before anything is created.</summary>
    public static DemoFleet Plan(string directory, int factories, int replicas) => new(
        DemoSite.Hub(directory),
        Enumerable.Range(1, factories)
            .Select(f => (IReadOnlyList<DemoSite>)Enumerable.Range(0, replicas).Select(r => DemoSite.FactoryReplica(directory, f, r)).ToList())
            .ToList());

    /// <summary>
    /// Creates every database, starts the hub, then the factories (in parallel; within a factory one replica after
    /// another, since each needs its siblings' URLs). With <paramref name="certificates"/>, every agent uses mutual TLS.
    /// </summary>
    public async Task StartAsync(DemoCertificates? certificates, CancellationToken cancellationToken)
    {
        foreach (var site in All)
        {
            site.CreateDatabase();
        }

        int agents = All.Count;
        await Hub.StartAsync(hubUrl: null, siblings: [], agents, certificates, cancellationToken);
        await Task.WhenAll(Factories.Select(replicas => Task.Run(async () =>
        {
            var siblings = new List<string>();
            foreach (var replica in replicas)
            {
                await replica.StartAsync(replica.Replica == 0 ? Hub.SyncUrl : null, siblings.ToList(), agents, certificates, cancellationToken);
                siblings.Add(replica.SyncUrl);
            }
        }, cancellationToken)));
    }

    /// <summary>Stops every agent at once (factories and hub together; a peer going away mid-round is retried, not an error).</summary>
    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(All.Select(s => s.DisposeAsync().AsTask()));
}
