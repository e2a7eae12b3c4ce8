using System.Diagnostics;
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
        private ITimer? _timer; // wakes the waiter at its deadline; set again only when the deadline moves
        private long _armedFor = long.MaxValue;

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

        /// <summary>Waits until something is pending, and takes it.</summary>
        public async Task<(IReadOnlyCollection<HostedDatabase> Changed, bool Membership)> WaitAsync(CancellationToken cancellationToken)
        {
            Arm(long.MaxValue);
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            return Take();
        }

        /// <summary>
        /// Waits until something is pending or <paramref name="timeout"/> has passed since the <see cref="Stopwatch"/>
        /// timestamp <paramref name="since"/>, and takes what is pending (possibly nothing at the deadline). Callers
        /// wait again and again towards one deadline (a conversation's next full list, its next report) while changes
        /// wake them: the subscription's one timer is set only when the deadline moves, not at every wait. A timer per
        /// wait, created and disposed by hundreds of conversations on a busy agent, queued their threads on the
        /// runtime's timer-queue lock (a stack dump of the 151-agent demo found a third of its busy pool threads
        /// there).
        /// </summary>
        public async Task<(IReadOnlyCollection<HostedDatabase> Changed, bool Membership)> WaitAsync(long since, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Arm(since + (long)(timeout.TotalSeconds * Stopwatch.Frequency));
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            return Take();
        }

        /// <summary>The timer fired: the next wait arms it again, even for the same deadline (a timer may fire a little early).</summary>
        private void OnDeadline()
        {
            lock (_gate)
            {
                _armedFor = long.MinValue;
            }

            Wake();
        }

        /// <summary>Sets the timer to wake the waiter at <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp; <see cref="long.MaxValue"/>: never).</summary>
        private void Arm(long deadline)
        {
            long due = deadline == long.MaxValue ? long.MaxValue : deadline - Stopwatch.GetTimestamp();
            if (due <= 0)
            {
                Wake(); // the deadline has passed: the wait returns at once (a timer still set for it only wakes the waiter once more)
                return;
            }

            lock (_gate)
            {
                if (deadline == _armedFor)
                {
                    return;
                }

                _armedFor = deadline;
                var dueTime = due == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds((double)due / Stopwatch.Frequency);
                if (_timer is not null)
                {
                    _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
                }
                else if (due != long.MaxValue)
                {
                    _timer = TimeProvider.System.CreateTimer(static s => ((Subscription)s!).OnDeadline(), this, dueTime, Timeout.InfiniteTimeSpan);
                }
            }
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
            lock (_gate)
            {
                _timer?.Dispose();
            }

            _wake.Dispose();
        }
    }
}
