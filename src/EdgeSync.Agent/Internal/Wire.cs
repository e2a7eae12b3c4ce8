using EdgeSync.Clocks;
using EdgeSync.Protocol;
using Google.Protobuf.Collections;
using ProtoRole = EdgeSync.Agent.Protocol.V1.Role;

namespace EdgeSync.Agent.Internal;

/// <summary>Conversions between engine types and wire messages, and the protocol's constants.</summary>
internal static class Wire
{
    /// <summary>Bumped on any incompatible change of the protocol or of the batch encoding (3: column types in batches; 4: the sender's disclaimed ranges).</summary>
    public const int ProtocolVersion = BatchCodec.ProtocolVersion;

    /// <summary>The oldest protocol this agent still speaks, so a fleet upgrades one agent at a time.</summary>
    public const int PreviousProtocolVersion = BatchCodec.PreviousProtocolVersion;

    /// <summary>The protocol two agents use: the lower of the two they speak.</summary>
    public static int Negotiate(int ours, int theirs) => Math.Min(ours, theirs);

    /// <summary>The protocol a caller announced in the <see cref="ProtocolHeader"/> header (the previous one when absent).</summary>
    public static int FromHeader(global::Grpc.Core.Metadata headers) =>
        int.TryParse(headers.GetValue(ProtocolHeader), out int v) ? v : PreviousProtocolVersion;

    public const string SiteHeader = "edgesync-site";
    public const string RoleHeader = "edgesync-role";
    public const string DatabaseHeader = "edgesync-database";
    public const string ProtocolHeader = "edgesync-protocol";

    /// <summary>An outbound batch as the message a pull reply or a push carries (the payload is wrapped, not copied).</summary>
    public static Protocol.V1.BatchMessage ToMessage(Sync.OutboundBatch batch) =>
        new() { Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(batch.Payload), Rows = batch.Rows };

    public static VersionVector ToVector(MapField<string, long> map) => VersionVector.From(map);

    /// <summary>Disclaimed ranges (<see cref="SyncDatabase.Disclaimed"/>) as a pull request carries them.</summary>
    public static IEnumerable<Protocol.V1.DisclaimedRange> ToWire(IReadOnlyList<OriginRange> disclaimed) =>
        disclaimed.Select(d => new Protocol.V1.DisclaimedRange { Site = d.Site, From = d.From, To = d.To });

    /// <summary>A pull request's disclaimed ranges, or null when it carries none (a caller that predates them).</summary>
    public static IReadOnlyList<OriginRange>? FromWire(RepeatedField<Protocol.V1.DisclaimedRange> disclaimed) =>
        disclaimed.Count == 0 ? null : disclaimed.Where(d => d.To >= d.From && d.From >= 0).Select(d => new OriginRange(d.Site, d.From, d.To)).ToList();

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
