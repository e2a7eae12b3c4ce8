using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Xunit.v3;

[assembly: EdgeSync.Testing.HangWatch]

namespace EdgeSync.Testing;

/// <summary>
/// Turns a hung test into a named failure. CI runs every test project under one time limit, and a test that never
/// ends used to show only as that limit expiring, with no name. Every test is timed from its start; one still running
/// after <see cref="ReportAfter"/> is printed (to standard output, which <c>dotnet test</c> shows) every minute, and
/// after <see cref="KillAfter"/> the test process ends with every still-running test's name and age, which
/// <c>dotnet test</c> reports as a failed run. A hang after a test's method returned (in its class's disposal, say)
/// shows as no test starting or ending for that long; the tests that ended last are named then. The longest test
/// (1,000 simulation seeds) takes a few minutes on a loaded machine, a third of the limit at most;
/// <c>EDGESYNC_HANG_KILL_MINUTES</c> moves the limit (0 turns the kill off, for a debugger).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class HangWatchAttribute : BeforeAfterTestAttribute
{
    public static TimeSpan KillAfter { get; } = TimeSpan.FromMinutes(
        double.TryParse(Environment.GetEnvironmentVariable("EDGESYNC_HANG_KILL_MINUTES"), System.Globalization.CultureInfo.InvariantCulture, out double m) ? m : 30);

    public static TimeSpan ReportAfter { get; } = KillAfter > TimeSpan.Zero && KillAfter < TimeSpan.FromMinutes(10) ? KillAfter / 2 : TimeSpan.FromMinutes(5);

    private static readonly ConcurrentDictionary<string, long> Running = new();

    private static readonly ConcurrentQueue<string> Ended = new();

    private static long _lastEvent = Stopwatch.GetTimestamp();

    private static readonly Timer Watch = new(_ => Check(), null, ReportAfter / 5, ReportAfter / 5);

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        GC.KeepAlive(Watch);
        long now = Stopwatch.GetTimestamp();
        Running[Key(test)] = now;
        Interlocked.Exchange(ref _lastEvent, now);
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        Running.TryRemove(Key(test), out _);
        Ended.Enqueue(Key(test));
        while (Ended.Count > 5 && Ended.TryDequeue(out _))
        {
        }

        Interlocked.Exchange(ref _lastEvent, Stopwatch.GetTimestamp());
    }

    private static string Key(IXunitTest test) => $"{test.TestDisplayName} [{test.UniqueID}]";

    private static void Check()
    {
        var slow = Running.Select(r => (Name: r.Key, Age: Stopwatch.GetElapsedTime(r.Value)))
            .Where(r => r.Age >= ReportAfter).OrderByDescending(r => r.Age).ToList();
        var idle = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastEvent));
        if (slow.Count == 0 && idle < ReportAfter)
        {
            return;
        }

        string list = string.Join("\n", slow.Select(r => $"  {r.Name}: running for {r.Age.TotalMinutes:0.#} min"))
            + $"\n  no test started or ended for {idle.TotalMinutes:0.#} min; the last to end: {string.Join(", ", Ended)}";
        string assembly = Assembly.GetEntryAssembly()?.GetName().Name ?? "tests";
        System.Console.Out.WriteLine($"[hang watch] {assembly}: {slow.Count} test(s) still running\n{list}");
        System.Console.Out.Flush();
        if (KillAfter > TimeSpan.Zero && (slow.Count > 0 && slow[0].Age > idle ? slow[0].Age : idle) >= KillAfter)
        {
            Environment.FailFast($"[hang watch] {assembly}: a test ran longer than {KillAfter.TotalMinutes:0.#} min, so it is taken as hung and the test process ends\n{list}");
        }
    }
}
