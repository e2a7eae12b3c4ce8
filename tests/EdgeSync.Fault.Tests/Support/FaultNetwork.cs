using System.Diagnostics;
using System.Globalization;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// A private network of namespaces: one "switch" namespace holding a Linux bridge, and one namespace per node linked
/// to it by a veth pair (node side <c>eth0</c> with 10.99.0.N/24, switch side a port of the bridge). A node's link is
/// cut by setting its switch port down; loss and partitions between groups of nodes are nftables rules in a node's
/// namespace. Nothing touches the host's own network; everything is deleted on dispose, even after a failure.
/// </summary>
public sealed class FaultNetwork : IDisposable
{
    private const string Prefix = "esf-";
    private readonly Netns _switch;
    private readonly List<NetNode> _nodes = [];
    private readonly string _tag;
    private bool _disposed;

    public FaultNetwork()
    {
        SweepStale();
        // The owner's pid in every name lets a later run delete what a killed run left behind.
        _tag = $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}-";
        _switch = Netns.Create(_tag + "sw");
        try
        {
            _switch.Ip("link", "add", "br0", "type", "bridge");
            _switch.Ip("link", "set", "br0", "up");
        }
        catch
        {
            _switch.Dispose();
            throw;
        }
    }

    public IReadOnlyList<NetNode> Nodes => _nodes;

    /// <summary>Adds a node namespace with address 10.99.0.<paramref name="hostOctet"/>, linked to the switch.</summary>
    public NetNode AddNode(string name, int hostOctet)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var ns = Netns.Create(_tag + name);
        var node = new NetNode(name, ns, $"10.99.0.{hostOctet.ToString(CultureInfo.InvariantCulture)}", "p-" + name);
        _nodes.Add(node);
        Shell.Run("ip", "link", "add", "eth0", "netns", ns.Name, "type", "veth", "peer", "name", node.SwitchPort, "netns", _switch.Name);
        _switch.Ip("link", "set", node.SwitchPort, "master", "br0");
        _switch.Ip("link", "set", node.SwitchPort, "up");
        ns.Ip("addr", "add", node.Address + "/24", "dev", "eth0");
        ns.Ip("link", "set", "eth0", "up");
        return node;
    }

    /// <summary>Cuts the node's cable: its switch port goes down (the node sees no carrier; nothing reaches it or leaves it).</summary>
    public void Cut(NetNode node) => _switch.Ip("link", "set", node.SwitchPort, "down");

    /// <summary>Plugs the node's cable back in.</summary>
    public void Heal(NetNode node) => _switch.Ip("link", "set", node.SwitchPort, "up");

    /// <summary>Deletes every namespace of this network. Idempotent, never throws.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var node in _nodes)
        {
            node.Ns.Dispose();
        }

        _switch.Dispose();
    }

    /// <summary>Deletes namespaces left by runs whose process no longer exists (a test host killed before its dispose ran).</summary>
    private static void SweepStale()
    {
        var (exitCode, output) = Shell.TryRun("ip", "netns", "list");
        if (exitCode != 0)
        {
            return;
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            var parts = name.Split('-');
            if (name.StartsWith(Prefix, StringComparison.Ordinal) && parts.Length >= 3
                && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int pid) && !IsAlive(pid))
            {
                Shell.TryRun("ip", "netns", "del", name);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>One host of a <see cref="FaultNetwork"/>: its namespace, its address and its port on the switch.</summary>
public sealed record NetNode(string Name, Netns Ns, string Address, string SwitchPort);
