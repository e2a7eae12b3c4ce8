using EdgeSync.Agent.Capture;

namespace EdgeSync.Agent.Tests.Capture;

/// <summary>
/// The capture loops' shared beat (issue 12): a loop that joins is called every interval until it leaves, joining twice
/// is joining once, and the ticker's timer stops with the last member.
/// </summary>
public sealed class HotTickerTests
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30); // a bound for "eventually", not a latency target

    [Fact]
    public async Task Members_AreCalledRepeatedly_UntilTheyLeave()
    {
        var ticker = HotTicker.For(TimeSpan.FromMilliseconds(3)); // an interval no other test uses: its own ticker
        int a = 0, b = 0;
        Action tickA = () => Interlocked.Increment(ref a);
        Action tickB = () => Interlocked.Increment(ref b);

        ticker.Join(tickA);
        ticker.Join(tickA);
        ticker.Join(tickB);
        Assert.Equal(2, ticker.Members);
        await Until(() => Volatile.Read(ref a) >= 3 && Volatile.Read(ref b) >= 3);

        ticker.Leave(tickA);
        Assert.Equal(1, ticker.Members);
        await Task.Delay(20, TestContext.Current.CancellationToken); // a beat under way when it left may still call it once
        int leftAt = Volatile.Read(ref a);
        int bAt = Volatile.Read(ref b);
        await Until(() => Volatile.Read(ref b) >= bAt + 3);
        Assert.Equal(leftAt, Volatile.Read(ref a));

        ticker.Leave(tickB);
        ticker.Leave(tickB);
        Assert.Equal(0, ticker.Members);
    }

    [Fact]
    public void SameInterval_SameTicker()
    {
        Assert.Same(HotTicker.For(TimeSpan.FromMilliseconds(7)), HotTicker.For(TimeSpan.FromMilliseconds(7)));
        Assert.NotSame(HotTicker.For(TimeSpan.FromMilliseconds(7)), HotTicker.For(TimeSpan.FromMilliseconds(8)));
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Liveness;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the ticker did not call its members within the liveness bound");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
