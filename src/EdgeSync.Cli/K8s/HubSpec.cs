namespace EdgeSync.Cli.K8s;

/// <summary>The HQ hub of the inventory; its tables are the union of the factories' (see <see cref="InventoryReader"/>).</summary>
internal sealed record HubSpec : ClusterSpec;
