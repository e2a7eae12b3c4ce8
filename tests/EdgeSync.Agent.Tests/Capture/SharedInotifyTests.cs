using System.Collections.Concurrent;
using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Tests.Capture;

/// <summary>
/// Every agent hosted in one process watches its databases' <c>-wal</c> files through the process's one inotify
/// instance: a fleet of agents in one process (<c>edgesync demo</c>, the scale tests) is not limited by the user's
/// <c>fs.inotify.max_user_instances</c>; without an instance, capture polls and says so once.
/// </summary>
public sealed class SharedInotifyTests
{
    private const string InstanceLimit = "/proc/sys/fs/inotify/max_user_instances";

    [Fact]
    public async Task MoreAgentsInOneProcessThanTheUsersInotifyInstances_AreAllWokenByTheirWrites()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists(InstanceLimit), "inotify is Linux's");
        int limit = int.Parse(File.ReadAllText(InstanceLimit).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.SkipWhen(limit > 2_000, $"fs.inotify.max_user_instances is {limit} here: too many agents to start to exceed it");
        int agents = limit + 8; // each with its own directory, as the demo's sites are
        using var root = new TempDir();
        var woken = new ConcurrentDictionary<int, bool>();
        var watches = new List<WalWatch>();
        var subscriptions = new List<IDisposable>();
        try
        {
            for (int i = 0; i < agents; i++)
            {
                var watch = new WalWatch();
                watches.Add(watch);
                string directory = Directory.CreateDirectory(root.File($"site-{i:000}")).FullName;
                int site = i;
                Exception? unavailable = null;
                var subscription = watch.Subscribe(Path.Combine(directory, "plant.db"), () => woken[site] = true, () => { }, e => unavailable = e);
                Assert.True(subscription is not null, $"agent {i} of {agents} (instance limit {limit}) watches its directory: {unavailable?.Message}");
                subscriptions.Add(subscription);
            }

            Assert.True(InotifyInstancesOfThisProcess() < limit / 2,
                $"{agents} agents hold {InotifyInstancesOfThisProcess()} inotify instances in this process (the user may hold {limit})");
            for (int i = 0; i < agents; i++)
            {
                File.AppendAllText(root.File($"site-{i:000}/plant.db-wal"), "a commit");
            }

            await Eventually.TrueAsync(() => woken.Count == agents, $"every one of {agents} agents hears the write to its own -wal file",
                diagnostics: () => $"woken: {woken.Count}");
        }
        finally
        {
            subscriptions.ForEach(s => s.Dispose());
            watches.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task TwoAgentsWatchingOneDirectory_OneStopping_LeavesTheOtherWatching()
    {
        using var dir = new TempDir();
        string a = dir.File("a.db"), b = dir.File("b.db");
        int wokenA = 0, wokenB = 0;
        using var watchA = new WalWatch();
        var watchB = new WalWatch();
        using var subA = watchA.Subscribe(a, () => Interlocked.Increment(ref wokenA), () => { }, _ => { });
        var subB = watchB.Subscribe(b, () => Interlocked.Increment(ref wokenB), () => { }, _ => { });
        Assert.SkipWhen(subA is null || subB is null, "this file system cannot be watched");

        File.AppendAllText(b + "-wal", "b's commit");
        await Eventually.TrueAsync(() => Volatile.Read(ref wokenB) > 0, "b hears its commit while both agents watch the directory");
        subB.Dispose();
        watchB.Dispose(); // the other agent stops: its watch of the shared directory must not end a's

        File.AppendAllText(a + "-wal", "a's commit");
        await Eventually.TrueAsync(() => Volatile.Read(ref wokenA) > 0, "a still hears its commits after b's agent stopped");
    }

    [Fact]
    public async Task WatchedDirectoryRemoved_TellsItsDatabasesTheyMayHaveMissedWrites_AndARecreatedOneIsWatchedAgain()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the process-wide inotify instance is Linux's");
        using var root = new TempDir();
        string directory = Directory.CreateDirectory(root.File("volume")).FullName;
        string db = Path.Combine(directory, "plant.db");
        int lost = 0, woken = 0;
        using var watch = new WalWatch();
        var first = watch.Subscribe(db, () => { }, () => Interlocked.Increment(ref lost), _ => { });
        Assert.NotNull(first);
        Directory.Delete(directory, recursive: true);
        await Eventually.TrueAsync(() => Volatile.Read(ref lost) > 0, "the removed directory's database is told its notifications may be lost (it polls)");
        first.Dispose();

        Directory.CreateDirectory(directory);
        using var second = watch.Subscribe(db, () => Interlocked.Increment(ref woken), () => { }, _ => { });
        Assert.NotNull(second);
        File.AppendAllText(db + "-wal", "a commit in the new directory");
        await Eventually.TrueAsync(() => Volatile.Read(ref woken) > 0, "the recreated directory is watched");
    }

    [Fact]
    public void NoInotifyInstanceForTheProcess_EveryDatabasePolls_AndItIsLoggedOnce()
    {
        using var dir = new TempDir();
        var logs = new LogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var watch = new WalWatch(factory.CreateLogger("EdgeSync.Agent.Capture.WalWatch"),
            () => throw new IOException("inotify_init1 failed: Too many open files (errno 24)"), deliver: null);
        var unavailable = new List<Exception>();
        for (int i = 0; i < 3; i++)
        {
            string directory = Directory.CreateDirectory(dir.File($"site-{i}")).FullName;
            Assert.Null(watch.Subscribe(Path.Combine(directory, "plant.db"), () => { }, () => { }, unavailable.Add));
        }

        Assert.Empty(unavailable); // not one warning per database
        var line = Assert.Single(logs.Lines, l => l.EventId == 3500);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("Too many open files", line.Message, StringComparison.Ordinal);
        Assert.Contains("fs.inotify.max_user_instances", line.Message, StringComparison.Ordinal);
    }

    private static int InotifyInstancesOfThisProcess()
    {
        int count = 0;
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.Contains("inotify", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }
        }

        return count;
    }
}
