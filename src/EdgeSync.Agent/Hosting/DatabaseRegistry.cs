using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Internal;
using Grpc.Core;

namespace EdgeSync.Agent.Hosting;

/// <summary>The databases of a running agent, by name. Filled when the agent starts; emptied when it stops.</summary>
internal sealed class DatabaseRegistry(AgentMetrics metrics)
{
    private volatile IReadOnlyList<HostedDatabase> _databases = [];

    public IReadOnlyList<HostedDatabase> All => _databases;

    /// <summary>The agent's instruments.</summary>
    public AgentMetrics Metrics => metrics;

    public bool IsOpen => _databases.Count > 0;

    public void Set(IReadOnlyList<HostedDatabase> databases) => _databases = databases;

    /// <summary>The named database; empty name = the only (or first) one. Null when unknown or not started.</summary>
    public HostedDatabase? Find(string? name)
    {
        var all = _databases;
        if (all.Count == 0)
        {
            return null;
        }

        return string.IsNullOrEmpty(name) ? all[0] : all.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
    }

    /// <summary>As <see cref="Find"/>, for gRPC handlers: a missing database is NOT_FOUND, an agent not started UNAVAILABLE.</summary>
    public HostedDatabase Get(string? name)
    {
        if (!IsOpen)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the agent is starting or stopping"));
        }

        return Find(name) ?? throw new RpcException(new Status(StatusCode.NotFound,
            $"this agent hosts no database named '{name}' (it hosts {string.Join(", ", _databases.Select(d => d.Name))})"));
    }

    /// <summary>The protocol version a caller announced must match ours.</summary>
    public static void CheckProtocol(int version)
    {
        if (version != Wire.ProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"protocol version {version} is not supported by this agent (it speaks {Wire.ProtocolVersion}); run the same EdgeSync version on both sides"));
        }
    }
}
