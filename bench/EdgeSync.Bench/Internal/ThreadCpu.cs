using System.Runtime.InteropServices;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), so a scenario can take the
/// application's own threads out of the process's CPU time and report what the agents in the process used.
/// </summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    /// <summary>The calling thread's CPU time so far; zero where the clock is not available (not Linux).</summary>
    public static TimeSpan Now() =>
        OperatingSystem.IsLinux() && clock_gettime(ClockThreadCpuTime, out var t) == 0
            ? TimeSpan.FromTicks((t.Seconds * TimeSpan.TicksPerSecond) + (t.Nanoseconds / 100))
            : TimeSpan.Zero;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // DllImport, not LibraryImport: the arguments are blittable, so nothing is marshalled and no unsafe code is needed.
    [DllImport("libc")]
    private static extern int clock_gettime(int clock, out Timespec value);
}
