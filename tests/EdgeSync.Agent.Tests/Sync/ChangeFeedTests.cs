using System.Diagnostics;
using EdgeSync.Agent.Sync;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// A subscription's waits towards one deadline (a conversation's next full list): news wakes the waiter at once, the
/// deadline wakes it however many waits came before, and a passed deadline does not wait at all.
/// </summary>
public sealed class ChangeFeedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task NothingPending_TheWaitEndsAtTheDeadline_NotBefore()
    {
        var feed = new ChangeFeed();
        using var subscription = feed.Subscribe();
        long since = Stopwatch.GetTimestamp();

        var (changed, membership) = await subscription.WaitAsync(since, Timeout, TestContext.Current.CancellationToken);

        Assert.Empty(changed);
        Assert.False(membership);
        Assert.True(Stopwatch.GetElapsedTime(since) >= Timeout - TimeSpan.FromMilliseconds(20), $"returned after {Stopwatch.GetElapsedTime(since).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task NewsBeforeTheDeadline_WakesAtOnce_AndTheNextWaitTowardsTheSameDeadlineStillEndsThere()
    {
        var ct = TestContext.Current.CancellationToken;
        var feed = new ChangeFeed();
        using var subscription = feed.Subscribe();
        long since = Stopwatch.GetTimestamp();
        var deadline = TimeSpan.FromSeconds(2);

        var first = subscription.WaitAsync(since, deadline, ct);
        feed.MembershipChanged();
        var (_, membership) = await first;
        Assert.True(membership);
        Assert.True(Stopwatch.GetElapsedTime(since) < deadline, "news woke the waiter before its deadline");

        // The same deadline again (the timer is not set anew): it still ends the wait, with nothing pending.
        var (changed, again) = await subscription.WaitAsync(since, deadline, ct);
        Assert.Empty(changed);
        Assert.False(again);
        Assert.True(Stopwatch.GetElapsedTime(since) >= deadline - TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task DeadlinePassed_ReturnsAtOnce_AndAWaitWithoutDeadlineEndsOnlyWithNews()
    {
        var ct = TestContext.Current.CancellationToken;
        var feed = new ChangeFeed();
        using var subscription = feed.Subscribe();

        var passed = subscription.WaitAsync(Stopwatch.GetTimestamp() - Stopwatch.Frequency, Timeout, ct);
        await passed.WaitAsync(TimeSpan.FromSeconds(30), ct); // a liveness bound: it returns at once

        // A deadline armed before and then dropped must not end a wait without one.
        _ = await subscription.WaitAsync(Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(100), ct);
        var open = subscription.WaitAsync(Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(50), ct);
        await open;
        var forever = subscription.WaitAsync(ct);
        await Task.Delay(TimeSpan.FromMilliseconds(400), ct);
        Assert.False(forever.IsCompleted, "a wait without a deadline ended with nothing pending");
        feed.MembershipChanged();
        var (_, membership) = await forever;
        Assert.True(membership);
    }
}
