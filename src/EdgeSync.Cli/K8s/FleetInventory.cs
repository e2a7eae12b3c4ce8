namespace EdgeSync.Cli.K8s;

/// <summary>
/// A parsed, validated inventory (<c>fleet.yaml</c>): the agent image, where the kustomize bases are, the HQ hub and
/// every factory. Produced by <see cref="InventoryReader"/>; rendered by <see cref="FleetRenderer"/>.
/// </summary>
internal sealed record FleetInventory
{
    /// <summary>The inventory file (bases are relative to its folder).</summary>
    public required string Path { get; init; }

    /// <summary>The agent image every factory runs unless it names its own.</summary>
    public required ImageReference Image { get; init; }

    /// <summary>Namespace of every rendered object.</summary>
    public required string Namespace { get; init; }

    /// <summary>The factory base: a local folder (absolute) or a kustomize remote reference, as given.</summary>
    public required string FactoryBase { get; init; }

    /// <summary>The HQ hub base, likewise.</summary>
    public required string HubBase { get; init; }

    /// <summary>The edge-app sidecar component, likewise (used by factories with <c>edge_app_image</c>).</summary>
    public required string EdgeAppComponent { get; init; }

    /// <summary>
    /// The cert-manager component (an Issuer for the fleet CA and the Certificate <c>edgesync-tls</c>), likewise; null
    /// when the inventory says <c>certificates: secret</c> (the operator provides the Secret <c>edgesync-tls</c>).
    /// </summary>
    public string? CertManagerComponent { get; init; }

    /// <summary>The HQ hub.</summary>
    public required HubSpec Hub { get; init; }

    /// <summary>The factories, in inventory order.</summary>
    public required IReadOnlyList<FactorySpec> Factories { get; init; }
}
