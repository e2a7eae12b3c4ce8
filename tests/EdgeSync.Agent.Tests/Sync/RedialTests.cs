using EdgeSync.Agent.Sync;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>How long a conversation waits before dialling a failed peer again (see <see cref="PeerConversation"/>).</summary>
public sealed class RedialTests
{
    [Theory]
    [InlineData(5_000, 10_000, 0)] // a connect that hung until its deadline behind a partition: dial again at once
    [InlineData(5_000, 5_000, 0)]
    [InlineData(5_000, 3, 4_997)] // refused at once (peer down or restarting): the whole backoff
    [InlineData(100, 0, 100)]
    public void PauseBeforeRedial_IsTheBackoffLessTheTimeTheFailedAttemptTook(int backoffMs, int attemptMs, int pauseMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(pauseMs),
            PeerConversation.PauseBeforeRedial(TimeSpan.FromMilliseconds(backoffMs), TimeSpan.FromMilliseconds(attemptMs)));
    }
}
