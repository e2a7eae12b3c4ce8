namespace EdgeSync.Cli.K8s;

/// <summary>What the hub and a factory share: identity, the <c>edge-cluster-config</c> values, size and image.</summary>
internal abstract record ClusterSpec
{
    /// <summary>Cluster id (ConfigMap <c>cluster_id</c>); the first half of each pod's site id, so unique in the fleet.</summary>
    public required string Id { get; init; }

    public required string Region { get; init; }

    public required int NodeCount { get; init; }

    public required string StorageClass { get; init; }

    /// <summary>StatefulSet replicas.</summary>
    public required int Replicas { get; init; }

    /// <summary>Size of each replica's volume, a Kubernetes quantity such as <c>10Gi</c>.</summary>
    public required string Storage { get; init; }

    /// <summary>The agent image, when this cluster does not run the fleet's (canaries, staged upgrades).</summary>
    public ImageReference? Image { get; init; }

    /// <summary>Synced tables, sorted by name.</summary>
    public required IReadOnlyList<FleetTable> Tables { get; init; }
}
