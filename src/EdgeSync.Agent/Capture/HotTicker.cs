using System.Collections.Concurrent;

namespace EdgeSync.Agent.Capture;

/// <summary>
/// One timer per poll interval for every capture loop in the process that is polling fast (<see cref="CaptureLoop.HotWindow"/>
/// after a write): a loop joins while it is hot and leaves when it goes quiet, and the timer runs only while some loop
/// is in. A timer per check (<c>Task.Delay</c>), created and disposed every few milliseconds by each hot loop, queued the
/// pool's threads on the runtime's timer-queue lock: in a stack dump of the 151-agent demo, the capture loops' delays were
/// the largest group of threads waiting there.
/// </summary>
internal sealed class HotTicker
{
    private static readonly ConcurrentDictionary<TimeSpan, HotTicker> ByInterval = new();

    private readonly Lock _gate = new();
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;
    private Action[] _members = [];

    private HotTicker(TimeSpan interval)
    {
        _interval = interval;
        _timer = TimeProvider.System.CreateTimer(static s => ((HotTicker)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The process's ticker for <paramref name="interval"/> (one per distinct <see cref="AgentOptions.CaptureIntervalMs"/>).</summary>
    public static HotTicker For(TimeSpan interval) => ByInterval.GetOrAdd(interval, static i => new HotTicker(i));

    /// <summary>Loops in now.</summary>
    internal int Members => Volatile.Read(ref _members).Length;

    /// <summary>Calls <paramref name="tick"/> every interval from now until <see cref="Leave"/>; joining twice is joining once.</summary>
    public void Join(Action tick)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_members, tick) >= 0)
            {
                return;
            }

            Volatile.Write(ref _members, [.. _members, tick]);
            if (_members.Length == 1)
            {
                _timer.Change(_interval, _interval);
            }
        }
    }

    /// <summary>Stops calling <paramref name="tick"/> (a tick under way may still call it once).</summary>
    public void Leave(Action tick)
    {
        lock (_gate)
        {
            int i = Array.IndexOf(_members, tick);
            if (i < 0)
            {
                return;
            }

            Volatile.Write(ref _members, [.. _members.AsSpan(0, i), .. _members.AsSpan(i + 1)]);
            if (_members.Length == 0)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Tick()
    {
        foreach (var tick in Volatile.Read(ref _members))
        {
            tick();
        }
    }
}
