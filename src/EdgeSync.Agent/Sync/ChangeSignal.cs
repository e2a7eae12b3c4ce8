using System.Threading.Channels;
namespace EdgeSync.Agent.Sync;

/// <summary>
/// Fan-out of "this replica's vector moved" to every peer loop and watch stream. Each subscriber has a bounded
/// channel of one pending signal (<see cref="BoundedChannelFullMode.DropWrite"/>): a signal that arrives while one is
/// pending is dropped (counted in <c>edgesync_sync_signals_coalesced</c>), since the pending round will carry its changes.
/// <paramref name="onNotify"/> runs on every signal (a hosted database tells the agent's <see cref="ChangeFeed"/>).
/// </summary>
internal sealed class ChangeSignal(Action? onCoalesced = null, Action? onNotify = null)
{
    private static readonly BoundedChannelOptions Options = new(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        SingleWriter = false,
    };

    private readonly Lock _gate = new();
    private List<Channel<bool>> _subscribers = [];

    /// <summary>Signals every subscriber.</summary>
    public void Notify()
    {
        onNotify?.Invoke();
        foreach (var channel in Volatile.Read(ref _subscribers))
        {
            channel.Writer.TryWrite(true);
        }
    }

    /// <summary>A new subscription; dispose it to stop receiving signals.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<bool>(Options, _ => onCoalesced?.Invoke());
        lock (_gate)
        {
            _subscribers = [.. _subscribers, channel];
        }

        return new Subscription(this, channel);
    }

    private void Remove(Channel<bool> channel)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(c => c != channel).ToList();
        }

        channel.Writer.TryComplete();
    }

    /// <summary>One subscriber's channel.</summary>
    public sealed class Subscription(ChangeSignal owner, Channel<bool> channel) : IDisposable
    {
        public ChannelReader<bool> Reader => channel.Reader;

        /// <summary>Signals this subscriber only (e.g. the peer announced changes through its watch stream).</summary>
        public void Poke() => channel.Writer.TryWrite(true);

        /// <summary>Waits for a signal or <paramref name="timeout"/>, whichever first; consumes the signal.</summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (channel.Reader.TryRead(out _))
            {
                return;
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await channel.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false);
                channel.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Interval elapsed: run a round anyway.
            }
        }

        public void Dispose() => owner.Remove(channel);
    }
}
