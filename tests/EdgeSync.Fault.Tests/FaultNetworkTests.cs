using System.Net;
using System.Net.Sockets;
using EdgeSync.Fault.Tests.Support;

namespace EdgeSync.Fault.Tests;

/// <summary>The fault network itself (root): a cut link and a partition rule stop traffic, healing restores it, a loss rule loses some.</summary>
public sealed class FaultNetworkTests
{
    private const int Port = 7000;

    [Fact]
    public async Task CutAndPartition_StopTraffic_AndHealingRestoresIt()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        using var network = new FaultNetwork();
        var a = network.AddNode("a", 1);
        var b = network.AddNode("b", 2);
        using var listener = b.Ns.Listen(new IPEndPoint(IPAddress.Parse(b.Address), Port));
        var target = new IPEndPoint(IPAddress.Parse(b.Address), Port);

        Assert.True(await CanConnectAsync(a, target, Reachable));
        network.Cut(b);
        Assert.False(await CanConnectAsync(a, target, Unreachable));
        network.Heal(b);
        Assert.True(await CanConnectAsync(a, target, Reachable));

        b.Ns.AddDropRule("part_a", [a.Address], percent: 100);
        Assert.False(await CanConnectAsync(a, target, Unreachable));
        b.Ns.RemoveDropRule("part_a");
        Assert.True(await CanConnectAsync(a, target, Reachable));
    }

    [Fact]
    public async Task LossRule_DropsAboutThatShareOfPackets()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        var ct = TestContext.Current.CancellationToken;
        using var network = new FaultNetwork();
        var a = network.AddNode("a", 1);
        var b = network.AddNode("b", 2);
        using var receiver = b.Ns.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Parse(b.Address), Port));
        using var sender = a.Ns.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        var to = new IPEndPoint(IPAddress.Parse(b.Address), Port);
        var buffer = new byte[16];

        // One datagram through first, so ARP is resolved before the count starts.
        await sender.SendToAsync(BitConverter.GetBytes(-1), SocketFlags.None, to, ct);
        await receiver.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), ct);
        b.Ns.AddDropRule("loss_a", [a.Address], percent: 20);

        const int sent = 500;
        int received = 0;
        for (int i = 0; i < sent; i++)
        {
            await sender.SendToAsync(BitConverter.GetBytes(i), SocketFlags.None, to, ct);
            if (i % 50 == 49)
            {
                received += await DrainAsync(receiver, buffer); // never let the receive buffer overflow
            }
        }

        // 20% of 500: 100 lost on average, standard deviation ~9; these bounds are ~5 standard deviations wide.
        Assert.InRange(sent - received, 55, 145);
    }

    [Fact]
    public void Dispose_DeletesEveryNamespaceItCreated()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        string[] names;
        using (var network = new FaultNetwork())
        {
            network.AddNode("a", 1);
            network.AddNode("b", 2);
            names = network.Nodes.Select(n => n.Ns.Name).ToArray();
            Assert.All(names, n => Assert.Contains(n, Shell.Run("ip", "netns", "list"), StringComparison.Ordinal));
        }

        string after = Shell.Run("ip", "netns", "list");
        Assert.All(names, n => Assert.DoesNotContain(n, after, StringComparison.Ordinal));
    }

    private static async Task<int> DrainAsync(Socket receiver, byte[] buffer)
    {
        int received = 0;
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        try
        {
            while (true)
            {
                quiet.CancelAfter(TimeSpan.FromMilliseconds(200));
                await receiver.ReceiveAsync(buffer, SocketFlags.None, quiet.Token);
                received++;
            }
        }
        catch (OperationCanceledException)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
        }

        return received;
    }

    /// <summary>
    /// How long a connection that must succeed may take: a liveness bound. Right after a heal the first SYN can be lost
    /// (neighbour resolution, the rule change settling) and TCP sends the next one only after its 1 s initial timeout,
    /// so a 1 s wait failed on a loaded CI machine.
    /// </summary>
    private static readonly TimeSpan Reachable = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection that must fail is given: a cut or dropped link answers nothing in that time.</summary>
    private static readonly TimeSpan Unreachable = TimeSpan.FromSeconds(1);

    private static async Task<bool> CanConnectAsync(NetNode from, IPEndPoint to, TimeSpan wait)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            using var socket = await from.Ns.ConnectAsync(to, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }
}
