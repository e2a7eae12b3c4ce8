using EdgeSync.Agent.Diagnostics;
using EdgeSync.Agent.Internal;
using Grpc.Core;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// The databases of a running agent, by name. Filled when the agent starts; emptied when it stops. Every change of the
/// set is announced on <see cref="Feed"/>, as is every change of a database's vector (see <see cref="HostedDatabase.Open"/>).
/// </summary>
internal sealed class DatabaseRegistry(AgentMetrics metrics)
{
    private volatile IReadOnlyList<HostedDatabase> _databases = [];

    public IReadOnlyList<HostedDatabase> All => _databases;

    /// <summary>The agent's instruments.</summary>
    public AgentMetrics Metrics => metrics;

    /// <summary>What the peer conversations listen to: databases whose vector moved, and changes of the set.</summary>
    public Sync.ChangeFeed Feed { get; } = new();

    private readonly Lock _gate = new();
    private volatile bool _open;

    /// <summary>The agent's outgoing peer conversations while it runs (what the fleet console shows of its links).</summary>
    public Sync.PeerSupervisor? Peers { get; set; }

    /// <summary>True between the agent's start and stop (it may host no database yet when it serves a directory).</summary>
    public bool IsOpen => _open;

    /// <summary>The databases at start (<paramref name="open"/>: the agent runs), or none at stop.</summary>
    public void Set(IReadOnlyList<HostedDatabase> databases, bool open = true)
    {
        lock (_gate)
        {
            _databases = databases;
            _open = open;
        }

        Feed.MembershipChanged();
    }

    /// <summary>A database found while running (<see cref="AgentOptions.DatabaseDirectories"/>).</summary>
    public void Add(HostedDatabase database)
    {
        lock (_gate)
        {
            _databases = [.. _databases, database];
        }

        Feed.MembershipChanged();
    }

    /// <summary>A database let go while running (its file was removed).</summary>
    public void Remove(HostedDatabase database)
    {
        lock (_gate)
        {
            _databases = _databases.Where(d => d != database).ToList();
        }

        Feed.MembershipChanged();
    }

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

    /// <summary>
    /// The protocol version a caller announced must be one this agent speaks or a newer one (the two then use the lower,
    /// <see cref="Wire.Negotiate"/>); anything older than <see cref="Wire.PreviousProtocolVersion"/> is refused.
    /// </summary>
    public static void CheckProtocol(int version)
    {
        if (version < Wire.PreviousProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"protocol version {version} is not supported by this agent (it speaks {Wire.PreviousProtocolVersion} to {Wire.ProtocolVersion}); "
                + "upgrade that agent to the previous EdgeSync release or later"));
        }
    }
}
