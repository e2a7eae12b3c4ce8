namespace EdgeSync.Fault.Tests.Support;

/// <summary>What the network fault tests need from the machine, and why a run skips when it is missing.</summary>
public static class FaultPrerequisites
{
    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Null when the tests can run; otherwise the reason they skip.</summary>
    public static string? MissingReason => Missing.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network fault tests need Linux (network namespaces, nftables)";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "network fault tests need root (ip netns, veth, nft); run as root, as .ci/run does in CI";
        }

        if (Shell.Which("ip") is null)
        {
            return "network fault tests need the `ip` command (apt-get install iproute2)";
        }

        if (Shell.Which("nft") is null)
        {
            return "network fault tests need the `nft` command (apt-get install nftables)";
        }

        // Root in a container without CAP_SYS_ADMIN/CAP_NET_ADMIN cannot create namespaces or veths: try it.
        string probe = $"esf-probe-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var (add, addOutput) = Shell.TryRun("ip", "netns", "add", probe);
        if (add != 0)
        {
            return $"cannot create a network namespace here (`ip netns add`: {addOutput.Trim()})";
        }

        try
        {
            var (nft, nftOutput) = Shell.TryRun("ip", "netns", "exec", probe, "nft", "add", "table", "inet", "probe");
            if (nft != 0)
            {
                return $"cannot add nftables rules in a namespace (`nft add table`: {nftOutput.Trim()})";
            }
        }
        finally
        {
            Shell.TryRun("ip", "netns", "del", probe);
        }

        return null;
    }
}
