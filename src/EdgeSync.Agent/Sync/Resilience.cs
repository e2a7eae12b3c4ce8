using Polly;
using Polly.Retry;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The retry policy of peer loops: transient failures (peer unreachable, deadline, locked file, stale batch) are
/// retried without limit, with exponential backoff and jitter between <see cref="AgentOptions.RetryBaseDelayMs"/>
/// and <see cref="AgentOptions.RetryMaxDelayMs"/>; anything else ends the round and waits for the next trigger.
/// </summary>
internal static class Resilience
{
    public static ResiliencePipeline Create(AgentOptions options, TimeProvider time, Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is { } e && SyncErrors.IsTransient(e)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromMilliseconds(options.RetryMaxDelayMs),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = onRetry,
            })
            .Build();
}
