using EdgeSync.Clocks;
using Google.Protobuf.Collections;
using ProtoRole = EdgeSync.Agent.Protocol.V1.Role;

namespace EdgeSync.Agent.Internal;

/// <summary>Conversions between engine types and wire messages, and the protocol's constants.</summary>
internal static class Wire
{
    /// <summary>Bumped on any incompatible change of the protocol or of the batch encoding.</summary>
    public const int ProtocolVersion = 2;

    public const string SiteHeader = "edgesync-site";
    public const string RoleHeader = "edgesync-role";
    public const string DatabaseHeader = "edgesync-database";
    public const string ProtocolHeader = "edgesync-protocol";

    /// <summary>An outbound batch as the message a pull reply or a push carries (the payload is wrapped, not copied).</summary>
    public static Protocol.V1.BatchMessage ToMessage(Sync.OutboundBatch batch) =>
        new() { Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(batch.Payload), Rows = batch.Rows };

    public static VersionVector ToVector(MapField<string, long> map) => VersionVector.From(map);

    public static void CopyTo(VersionVector vector, MapField<string, long> map)
    {
        foreach (var (site, seq) in vector)
        {
            map[site] = seq;
        }
    }

    public static ProtoRole ToWire(AgentRole role) => role switch
    {
        AgentRole.Hub => ProtoRole.Hub,
        AgentRole.Factory => ProtoRole.Factory,
        _ => ProtoRole.Peer,
    };

    public static AgentRole FromWire(ProtoRole role) => role switch
    {
        ProtoRole.Hub => AgentRole.Hub,
        ProtoRole.Factory => AgentRole.Factory,
        _ => AgentRole.Peer,
    };

    public static AgentRole ParseRole(string? value) =>
        Enum.TryParse<AgentRole>(value, ignoreCase: true, out var r) ? r : AgentRole.Peer;
}
