using EdgeSync.Agent.Hosting;

namespace EdgeSync.Agent.Sync;

/// <summary>
/// Agent-wide news for the peer conversations (<see cref="PeerConversation"/> and the server side of
/// <c>Converse</c>): which hosted databases' vectors moved, and whether the set of hosted databases changed. Each
/// subscriber keeps a set of pending databases and at most one pending wake-up, so a burst of commits to one database
/// costs one message per conversation, and a subscriber costs nothing while nothing changes.
/// </summary>
internal sealed class ChangeFeed
{
    private readonly Lock _gate = new();
    private Subscription[] _subscribers = [];

    /// <summary>The vector of <paramref name="database"/> moved (a capture or an applied batch).</summary>
    public void Changed(HostedDatabase database)
    {
        foreach (var s in Volatile.Read(ref _subscribers))
        {
            s.Add(database);
        }
    }

    /// <summary>A database was added to or removed from the agent.</summary>
    public void MembershipChanged()
    {
        foreach (var s in Volatile.Read(ref _subscribers))
        {
            s.SetMembership();
        }
    }

    public Subscription Subscribe()
    {
        var s = new Subscription(this);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, s];
        }

        return s;
    }

    private void Remove(Subscription s)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(x => x != s).ToArray();
        }
    }

    /// <summary>One subscriber's pending news.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly ChangeFeed _owner;
        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _wake = new(0, 1);
        private HashSet<HostedDatabase> _pending = [];
        private bool _membership;

        internal Subscription(ChangeFeed owner) => _owner = owner;

        internal void Add(HostedDatabase database)
        {
            lock (_gate)
            {
                if (!_pending.Add(database) || _pending.Count > 1 || _membership)
                {
                    return; // already pending, or a wake-up is: the waiter takes everything at once
                }
            }

            Wake();
        }

        internal void SetMembership()
        {
            lock (_gate)
            {
                if (_membership)
                {
                    return;
                }

                _membership = true;
            }

            Wake();
        }

        private void Wake()
        {
            try
            {
                if (_wake.CurrentCount == 0)
                {
                    _wake.Release();
                }
            }
            catch (SemaphoreFullException)
            {
                // Woken twice at once: one wake-up is pending, which is all the waiter needs.
            }
            catch (ObjectDisposedException)
            {
                // A late change after the subscriber left.
            }
        }

        /// <summary>
        /// Waits until something is pending or <paramref name="timeout"/> passes, and takes what is pending (possibly
        /// nothing on a timeout).
        /// </summary>
        public async Task<(IReadOnlyCollection<HostedDatabase> Changed, bool Membership)> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            await _wake.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return Take();
        }

        /// <summary>What is pending now, without waiting.</summary>
        public (IReadOnlyCollection<HostedDatabase> Changed, bool Membership) Take()
        {
            lock (_gate)
            {
                var changed = _pending;
                bool membership = _membership;
                _pending = [];
                _membership = false;
                return (changed, membership);
            }
        }

        public void Dispose()
        {
            _owner.Remove(this);
            _wake.Dispose();
        }
    }
}
