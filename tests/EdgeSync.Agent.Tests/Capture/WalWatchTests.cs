using System.Collections.Concurrent;
using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Capture;

public sealed class WalWatchTests
{
    [Fact]
    public async Task CommitByAnotherConnection_WakesTheSubscriberOfThatDatabaseOnly()
    {
        using var dir = new TempDir();
        string a = dir.File("a.db"), b = dir.File("b.db"); // one directory: one watcher, dispatched by file name
        AppDb.Create(a);
        AppDb.Create(b);
        var woken = new ConcurrentDictionary<string, int>();
        using var watch = new WalWatch();
        Exception? unavailable = null;
        using var subA = watch.Subscribe(a, () => woken.AddOrUpdate("a", 1, (_, n) => n + 1), () => { }, e => unavailable = e);
        using var subB = watch.Subscribe(b, () => woken.AddOrUpdate("b", 1, (_, n) => n + 1), () => { }, e => unavailable = e);
        Assert.SkipWhen(subA is null, $"this file system cannot be watched: {unavailable?.Message}");

        AppDb.Exec(a, "INSERT INTO items(id, name) VALUES ('a-1', 'written by the application')");
        await Eventually.TrueAsync(() => woken.ContainsKey("a"), "a commit to a wakes a's subscriber");
        Assert.False(woken.ContainsKey("b"), "b's subscriber is not woken by a's commit");

        AppDb.Exec(b, "INSERT INTO items(id, name) VALUES ('b-1', 'written by the application')");
        await Eventually.TrueAsync(() => woken.ContainsKey("b"), "a commit to b wakes b's subscriber");
    }

    [Fact]
    public async Task DisposedSubscription_IsNotWokenAgain()
    {
        using var dir = new TempDir();
        string a = dir.File("a.db"), b = dir.File("b.db"); // one directory: one watcher, dispatched by file name
        AppDb.Create(a);
        AppDb.Create(b);
        int wokenA = 0, wokenB = 0;
        using var watch = new WalWatch();
        var subA = watch.Subscribe(a, () => Interlocked.Increment(ref wokenA), () => { }, _ => { });
        using var subB = watch.Subscribe(b, () => Interlocked.Increment(ref wokenB), () => { }, _ => { });
        Assert.SkipWhen(subA is null, "this file system cannot be watched");
        subA.Dispose();

        AppDb.Exec(a, "INSERT INTO items(id, name) VALUES ('a-1', 'after unsubscribing')");
        AppDb.Exec(b, "INSERT INTO items(id, name) VALUES ('b-1', 'written last')");
        await Eventually.TrueAsync(() => Volatile.Read(ref wokenB) > 0, "b's subscriber (same directory) still hears b's commit");
        Assert.Equal(0, Volatile.Read(ref wokenA));
    }
}
