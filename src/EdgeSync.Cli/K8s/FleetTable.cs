using EdgeSync.Agent;
using EdgeSync.Schema;

namespace EdgeSync.Cli.K8s;

/// <summary>A synced table of a cluster: rendered as <c>EdgeSync__Tables__NAME__Policy</c> and <c>__Direction</c>.</summary>
internal sealed record FleetTable(string Name, TablePolicy Policy, SyncDirection Direction);
