namespace EdgeSync.Agent.Limits;

/// <summary>
/// Counts the calls each peer has open on this agent and refuses one past the limit, so one peer cannot hold every
/// HTTP/2 stream, thread and database turn the agent has. Thread-safe; a peer's entry disappears with its last call.
/// </summary>
internal sealed class PeerStreamLimiter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Takes a slot for <paramref name="peer"/>; false (and <paramref name="open"/> = its calls) when it has <paramref name="max"/> already.</summary>
    public bool TryAcquire(string peer, int max, out int open)
    {
        lock (_lock)
        {
            open = _open.GetValueOrDefault(peer);
            if (open >= max)
            {
                return false;
            }

            _open[peer] = open + 1;
            return true;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryAcquire"/>.</summary>
    public void Release(string peer)
    {
        lock (_lock)
        {
            int open = _open.GetValueOrDefault(peer) - 1;
            if (open <= 0)
            {
                _open.Remove(peer);
            }
            else
            {
                _open[peer] = open;
            }
        }
    }

    /// <summary>Calls <paramref name="peer"/> has open now.</summary>
    public int OpenBy(string peer)
    {
        lock (_lock)
        {
            return _open.GetValueOrDefault(peer);
        }
    }

    /// <summary>Every peer with calls open now, and how many (for the <c>edgesync_peer_calls_open</c> gauge).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Snapshot()
    {
        lock (_lock)
        {
            return _open.ToList();
        }
    }
}
