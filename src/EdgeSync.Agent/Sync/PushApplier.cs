using System.Diagnostics;
using EdgeSync.Agent.Diagnostics;
using EdgeSync.Apply;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// The one writer of pushed batches for a hosted database. Push handlers queue each received batch and wait for its
/// outcome without holding a thread; one loop applies the queue back to back, each batch in its own transaction
/// through <see cref="Inbound.Receive"/>, so a refused or failing batch is answered to its own pusher alone and never
/// undoes another's. Turns go round robin between peers (FIFO within a peer): a peer with many streams or batches
/// queued gets one turn per round like every other peer. The loop keeps applying while batches are queued: the next
/// one starts as soon as the last one committed, with no hand-over through the thread pool (under load that
/// hand-over, and threads queueing on the database's lock, were where a pushed batch waited, not the apply itself).
/// </summary>
internal sealed class PushApplier : IAsyncDisposable
{
    private const int Queued = 0, Running = 1, Cancelled = 2;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<Work>> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _turns = new();
    private readonly SemaphoreSlim _ready = new(0); // one count per queued batch, one more to end the loop
    private readonly AgentMetrics? _metrics;
    private bool _completed;

    public PushApplier(AgentMetrics? metrics)
    {
        _metrics = metrics;
        Completion = Task.Run(RunAsync);
    }

    /// <summary>Ends when <see cref="Complete"/> was called and every queued batch was applied or given up.</summary>
    public Task Completion { get; }

    /// <summary>
    /// Applies <paramref name="payload"/> from <paramref name="peer"/> (decoded, filtered and authorized by
    /// <paramref name="inbound"/>) in its turn and returns what was applied, or throws what <see cref="Inbound.Receive"/>
    /// threw, with nothing of the batch applied. Cancelling before the batch's turn takes it out of the queue
    /// unapplied; once its turn came, the answer waits for the apply (committed or rolled back), so the caller never
    /// stops without knowing which.
    /// </summary>
    public Task<ApplyResult> ApplyAsync(string peer, Inbound inbound, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var work = new Work(peer, w => inbound.Receive(payload.Span, w.CancellationToken), cancellationToken);
        work.WatchCancellation();
        Enqueue(work);
        return work.Done.Task;
    }

    /// <summary>
    /// Test hook: takes the loop's turn and keeps it until the returned handle is disposed, as a long apply of another
    /// peer's batch would. Returns once the loop is held.
    /// </summary>
    internal async Task<IDisposable> HoldAsync(CancellationToken cancellationToken = default)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Work("", _ =>
        {
            held.TrySetResult();
            release.Task.Wait(CancellationToken.None);
            return new ApplyResult(0, 0, 0);
        }, CancellationToken.None));
        await held.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(release);
    }

    /// <summary>Takes no more batches; <see cref="Completion"/> ends once the queue is empty.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
        }

        _ready.Release();
    }

    /// <summary>Idempotent: takes no more batches, waits for the queue to drain (queued batches of cancelled calls are skipped).</summary>
    public async ValueTask DisposeAsync()
    {
        Complete();
        await Completion.ConfigureAwait(false);
        _ready.Dispose();
    }

    private void Enqueue(Work work)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (!_waiting.TryGetValue(work.Peer, out var queue))
            {
                _waiting[work.Peer] = queue = new Queue<Work>();
                _turns.Enqueue(work.Peer);
            }

            queue.Enqueue(work);
        }

        _ready.Release();
    }

    /// <summary>The oldest batch of the peer whose turn it is, or null once completed and empty.</summary>
    private Work? Take()
    {
        lock (_lock)
        {
            if (!_turns.TryDequeue(out var peer))
            {
                return null;
            }

            var queue = _waiting[peer];
            var work = queue.Dequeue();
            if (queue.Count == 0)
            {
                _waiting.Remove(peer);
            }
            else
            {
                _turns.Enqueue(peer);
            }

            return work;
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            await _ready.WaitAsync().ConfigureAwait(false); // synchronous while batches are queued: no hand-over between them
            if (Take() is not { } work)
            {
                return; // the count Complete added, with the queue empty
            }

            Run(work);
        }
    }

    private void Run(Work work)
    {
        if (!work.Start())
        {
            return; // its pusher gave up while it was queued: never applied
        }

        _metrics?.ApplyWaited(Stopwatch.GetElapsedTime(work.QueuedAt).TotalSeconds);
        try
        {
            work.Done.TrySetResult(work.Apply(work));
        }
        catch (Exception e)
        {
            work.Done.TrySetException(e);
        }
        finally
        {
            work.StopWatchingCancellation();
        }
    }

    private sealed class Work(string peer, Func<Work, ApplyResult> apply, CancellationToken cancellationToken)
    {
        private int _state = Queued;
        private CancellationTokenRegistration _registration;

        public string Peer { get; } = peer;

        public Func<Work, ApplyResult> Apply { get; } = apply;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public long QueuedAt { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<ApplyResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Cancelling while queued answers the pusher at once; the loop then skips the batch.</summary>
        public void WatchCancellation() => _registration = CancellationToken.Register(static state =>
        {
            var work = (Work)state!;
            if (Interlocked.CompareExchange(ref work._state, Cancelled, Queued) == Queued)
            {
                work.Done.TrySetCanceled(work.CancellationToken);
            }
        }, this);

        /// <summary>False when the batch was cancelled before its turn.</summary>
        public bool Start() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

        public void StopWatchingCancellation() => _registration.Dispose();
    }

    private sealed class Release(TaskCompletionSource release) : IDisposable
    {
        public void Dispose() => release.TrySetResult();
    }
}
