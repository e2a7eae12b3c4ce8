using EdgeSync.Clocks;
using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>A clock that ran ahead and was set right: when it counts as such, and where it is set back to.</summary>
internal static partial class Reincarnation
{
    /// <summary>
    /// When this site's HLC is more than <paramref name="maxDrift"/> ahead of its wall clock, the clock had run ahead
    /// and was set right (peers refuse such clocks, so what it wrote meanwhile is stuck, and every later write would be
    /// stamped in the future too). The clock is set back to the wall clock (or the newest clock it holds that is not in
    /// the future), and the site continues as a new incarnation (<see cref="Run"/>): everything it wrote is re-stamped
    /// at the present, so its future-stamped writes reach peers and stop outranking later writes elsewhere. Each
    /// incarnation's clock only goes forward. This sets the clock back and returns true; the caller then seals what is
    /// pending and calls <see cref="Run"/>. False when the clock is sane.
    /// </summary>
    public static bool RewindIfClockRanAhead(SyncStore store, TimeSpan maxDrift)
    {
        long wall = store.Clock.WallMilliseconds;
        long limit = wall + (long)maxDrift.TotalMilliseconds;
        if (!ClockRanAhead(store.Clock, maxDrift))
        {
            return false;
        }

        var newest = Sql.Scalar(store.Db, "SELECT coalesce(max(hlc), 0) FROM _edgesync_log WHERE hlc <= $l",
            ("$l", Hlc.From(limit, Hlc.MaxCounter).Value)) as long? ?? 0;
        store.Clock.Rewind(new Hlc(Math.Max(newest, Hlc.From(wall, 0).Value)));
        return true;
    }

    /// <summary>
    /// True when the clock is more than <paramref name="maxDrift"/> plus <see cref="FixMargin"/> ahead of the wall clock.
    /// The margin keeps a small step back of the wall clock (NTP) from re-stamping everything: the HLC may legitimately
    /// be up to <paramref name="maxDrift"/> ahead, from a peer's clock that receivers accept. A clock between the two
    /// bounds is refused by peers for at most the margin, until the wall clock catches up.
    /// </summary>
    public static bool ClockRanAhead(HybridClock clock, TimeSpan maxDrift) =>
        clock.Last.Milliseconds > clock.WallMilliseconds + (long)(maxDrift + FixMargin).TotalMilliseconds;

    /// <summary>See <see cref="ClockRanAhead"/>.</summary>
    public static readonly TimeSpan FixMargin = TimeSpan.FromMinutes(1);
}
