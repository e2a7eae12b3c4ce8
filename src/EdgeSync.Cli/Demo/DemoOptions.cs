namespace EdgeSync.Cli.Demo;

/// <summary>What <c>edgesync demo</c> runs: the fleet's shape, how long and how fast the factories ingest, and where the files go.</summary>
/// <param name="Factories">Factories, each a cluster of <paramref name="Replicas"/> agents syncing with the HQ hub.</param>
/// <param name="Replicas">Agents (replicas of the plant database) per factory, meshed with their siblings.</param>
/// <param name="Duration">How long telemetry is ingested.</param>
/// <param name="RowsPerSecond">Telemetry rows per second, summed over every factory replica.</param>
/// <param name="Directory">Where the databases go; null for a temporary directory deleted at the end.</param>
/// <param name="Tls">Agents sync over mutual TLS with certificates from a temporary development CA, and ingest with a token.</param>
/// <param name="Keep">After the verdict, the fleet keeps running (its console open) until Ctrl-C.</param>
internal sealed record DemoOptions(int Factories, int Replicas, TimeSpan Duration, int RowsPerSecond, string? Directory, bool Tls = false, bool Keep = false)
{
    /// <summary>
    /// How often each factory's replicas set the same machine's state at the same moment (so conflicts happen): every
    /// 0.5 s, less often in a big fleet (the hub relays each change to every other factory).
    /// </summary>
    public TimeSpan MachineStateInterval => Scaled(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2));

    /// <summary>
    /// How often each factory replica posts the telemetry rows that fell due: every 0.1 s, less often in a big fleet
    /// (each post starts a sync round with the hub, and all of them share this process).
    /// </summary>
    public TimeSpan IngestInterval => Scaled(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

    /// <summary>How long the fleet may take to converge once the writes stopped before the demo reports failure.</summary>
    public TimeSpan ConvergeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>When HQ pushes its configuration change: a third into the write phase.</summary>
    public TimeSpan ConfigPushAt => Duration / 3;

    /// <summary>Factory agents in the fleet (HQ not counted).</summary>
    public int FactoryReplicas => Factories * Replicas;

    /// <summary><paramref name="perReplica"/> × factory replicas, within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    private TimeSpan Scaled(TimeSpan perReplica, TimeSpan min, TimeSpan max) =>
        TimeSpan.FromTicks(Math.Clamp(perReplica.Ticks * FactoryReplicas, min.Ticks, max.Ticks));
}
