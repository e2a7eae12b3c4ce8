using EdgeSync.Agent.Limits;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Limits;

public sealed class FairGateTests
{
    [Fact]
    public async Task Gate_TakesTurnsBetweenPeers_NotFirstComeFirstServed()
    {
        var gate = new FairGate();
        var ct = TestContext.Current.CancellationToken;
        await gate.EnterAsync("x", ct);
        var order = new List<string>();
        var waiters = new List<Task>();
        foreach (var (peer, n) in new[] { ("x", 1), ("x", 2), ("x", 3), ("y", 1), ("x", 4), ("z", 1), ("y", 2) })
        {
            waiters.Add(Enter(peer + n));
            async Task Enter(string name)
            {
                await gate.EnterAsync(name[..1], ct);
                lock (order)
                {
                    order.Add(name);
                }
            }
        }

        for (int i = 0; i < waiters.Count; i++)
        {
            int before = order.Count;
            gate.Exit();
            await Eventually.TrueAsync(() => { lock (order) { return order.Count == before + 1; } }, $"waiter {i + 1} gets the gate");
        }

        gate.Exit();
        await Task.WhenAll(waiters);
        Assert.Equal(["x1", "y1", "z1", "x2", "y2", "x3", "x4"], order);
    }

    [Fact]
    public async Task Gate_SkipsAWaiterThatGaveUp()
    {
        var gate = new FairGate();
        var ct = TestContext.Current.CancellationToken;
        await gate.EnterAsync("x", ct);
        using var cancel = new CancellationTokenSource();
        var gaveUp = gate.EnterAsync("y", cancel.Token).AsTask();
        var next = gate.EnterAsync("z", ct).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);

        gate.Exit();
        await next.WaitAsync(TimeSpan.FromSeconds(10), ct);
        gate.Exit();
        await gate.EnterAsync("x", ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct); // open again
    }
}
