using System.Diagnostics;
using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeSync.Agent.Tests.Capture;

/// <summary>
/// Commits made by another process, the <c>sqlite3</c> shell, are captured and reach the peer: through the <c>-wal</c>
/// file's notifications, and through the capture loop's safety poll when every notification is lost (as when the
/// kernel's inotify queue overflows without an error reaching the watcher).
/// </summary>
public sealed class ShellCommitCaptureTests
{
    private const int Commits = 10;

    [Fact]
    public async Task CommitsBySqlite3Shell_AreCapturedAndReachThePeer()
    {
        await RunAsync(dropNotifications: false);
    }

    [Fact]
    public async Task CommitsBySqlite3Shell_WhileEveryWalNotificationIsDropped_AreStillCapturedAndReachThePeer()
    {
        await RunAsync(dropNotifications: true);
    }

    [Fact]
    public async Task CommitsBySqlite3Shell_WhenTheProcessHasNoInotifyInstance_ArePolledAndReachThePeer()
    {
        await RunAsync(dropNotifications: false, noInotify: true);
    }

    private static async Task RunAsync(bool dropNotifications, bool noInotify = false)
    {
        string shell = Shell();
        using var dir = new TempDir();
        int dropped = 0;
        Action<IServiceCollection>? services = dropNotifications
            ? s => s.AddSingleton(new WalWatch(_ => { Interlocked.Increment(ref dropped); return false; }))
            : noInotify
            ? s => s.AddSingleton(new WalWatch(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
                () => throw new IOException("inotify_init1 failed: Too many open files (errno 24)"), deliver: null))
            : null;
        string urlA = TestAgent.DeadUrl();
        await using var a = await TestAgent.StartAsync(dir.Db("shell-a"), "shell-a", listen: urlA, services: services,
            record: ["edgesync_changes_captured"]);
        await using var b = await TestAgent.StartAsync(dir.Db("shell-b"), "shell-b", peers: [urlA]);
        var captured = a.Metric("edgesync_changes_captured");

        var lags = new List<double>();
        for (int i = 1; i <= Commits; i++)
        {
            Sql(shell, a.DbPath, $"INSERT INTO items(id, name, qty) VALUES ('shell-{i}', 'from the sqlite3 shell', {i});");
            var clock = Stopwatch.StartNew();
            await Eventually.TrueAsync(() => Count(b.DbPath, $"shell-{i}") == 1, $"commit {i} of the shell reaches the peer",
                diagnostics: captured.Dump);
            lags.Add(clock.Elapsed.TotalMilliseconds);
        }

        Assert.Equal(Commits, AppDbCount(b.DbPath));
        Assert.True(captured.SumWith() >= Commits, $"every commit was captured on a: {captured.Dump()}");
        if (dropNotifications)
        {
            Assert.True(Volatile.Read(ref dropped) > 0, "the shell's commits did raise -wal notifications, and the watch dropped them");
        }

        lags.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"shell exit to row at the peer ({(dropNotifications ? "notifications dropped" : "notified")}): median {lags[lags.Count / 2]:N0} ms, max {lags[^1]:N0} ms");
    }

    private static long Count(string path, string id)
    {
        using var c = AppDb.Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM items WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (long)cmd.ExecuteScalar()!;
    }

    private static long AppDbCount(string path)
    {
        using var c = AppDb.Open(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM items WHERE name = 'from the sqlite3 shell'";
        return (long)cmd.ExecuteScalar()!;
    }

    private static string Shell()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "sqlite3")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(path is null, "needs the sqlite3 shell as the application: apt-get install sqlite3");
        return path!;
    }

    private static void Sql(string shell, string db, string sql)
    {
        var psi = new ProcessStartInfo(shell, ["-cmd", ".timeout 10000", db, sql]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "sqlite3 did not finish within 60 s");
        Assert.True(p.ExitCode == 0, $"sqlite3 failed: {stderr}");
    }
}
