namespace EdgeSync.Cli.K8s;

/// <summary>One factory of the inventory.</summary>
internal sealed record FactorySpec : ClusterSpec
{
    /// <summary>The hub's sync URL as this factory reaches it.</summary>
    public required string HubAddress { get; init; }

    /// <summary>When set, a NetworkPolicy lets this CIDR (HQ) reach the sync port, for HQ-initiated syncs.</summary>
    public string? HubCidr { get; init; }

    /// <summary>When set, the edge-app sidecar component is added with this image.</summary>
    public ImageReference? EdgeAppImage { get; init; }
}
