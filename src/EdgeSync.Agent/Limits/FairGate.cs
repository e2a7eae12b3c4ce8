namespace EdgeSync.Agent.Limits;

/// <summary>
/// An async mutual-exclusion gate that takes turns between keys (peers): when it is released, the next holder is the
/// oldest waiter of the next peer in round-robin order, not the oldest waiter overall. So a peer with many batches
/// queued gets one turn per round like every other peer, and a peer with one batch waits for at most one batch of each
/// other peer. Waiting does not block a thread. A waiter whose token is cancelled gives up its place.
/// </summary>
internal sealed class FairGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<TaskCompletionSource>> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _turns = new();
    private bool _held;

    /// <summary>Waits for the gate; the caller then owns it until <see cref="Exit"/>.</summary>
    public async ValueTask EnterAsync(string key, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(key, out var queue))
            {
                _waiting[key] = queue = new Queue<TaskCompletionSource>();
                _turns.Enqueue(key);
            }

            queue.Enqueue(waiter);
        }

        // Cancelled before being handed the gate: the waiter stays queued, already completed, and Exit skips it.
        using var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        await waiter.Task.ConfigureAwait(false);
    }

    /// <summary>Hands the gate to the next waiter in turn, or opens it.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            while (_turns.TryDequeue(out var key))
            {
                var queue = _waiting[key];
                var next = queue.Dequeue();
                if (queue.Count == 0)
                {
                    _waiting.Remove(key);
                }
                else
                {
                    _turns.Enqueue(key);
                }

                if (next.TrySetResult())
                {
                    return;
                }
            }

            _held = false;
        }
    }
}
