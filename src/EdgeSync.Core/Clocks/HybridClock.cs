namespace EdgeSync.Clocks;

/// <summary>
/// Issues strictly increasing <see cref="Hlc"/> timestamps. The clock never goes backwards: it starts from the
/// larger of the wall clock and the last persisted value, and merges in every remote timestamp it observes.
/// Not thread-safe; the owner serialises access (one writer per database).
/// </summary>
internal sealed class HybridClock
{
    private readonly TimeProvider _time;
    private Hlc _last;

    /// <summary>Creates a clock that resumes after <paramref name="lastIssued"/>.</summary>
    public HybridClock(Hlc lastIssued, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _last = lastIssued;
    }

    /// <summary>The last timestamp issued or observed.</summary>
    public Hlc Last => _last;

    /// <summary>Issues a timestamp greater than every one issued or observed before.</summary>
    public Hlc Next()
    {
        long wall = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (wall > _last.Milliseconds)
        {
            _last = Hlc.From(wall, 0);
        }
        else if (_last.Counter < Hlc.MaxCounter)
        {
            _last = Hlc.From(_last.Milliseconds, _last.Counter + 1);
        }
        else
        {
            _last = Hlc.From(_last.Milliseconds + 1, 0);
        }

        return _last;
    }

    /// <summary>The wall clock now, in Unix milliseconds.</summary>
    internal long WallMilliseconds => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Moves the clock back to <paramref name="to"/>. Only for a site that continues as a new incarnation because its
    /// clock had run ahead (see <c>Storage/Reincarnation.cs</c>): each incarnation's clock still only goes forward.
    /// </summary>
    internal void Rewind(Hlc to) => _last = to;

    /// <summary>Merges a timestamp seen on a remote change so later local events order after it.</summary>
    public void Observe(Hlc remote)
    {
        if (remote > _last)
        {
            _last = remote;
        }
    }
}
