using System.Diagnostics;
using EdgeSync.Errors;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>Disk and file faults: each gives a clear, typed error and loses nothing that was committed.</summary>
public sealed class StorageFaultTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DatabaseLockedByAnotherProcess_CaptureFailsClearly_ThenSucceedsWhenReleased()
    {
        string path = _dir.File("a.db");
        using (var setup = new Replica(path, "a"))
        {
        }

        using var db = SyncDatabase.Open(path, new SyncDatabaseOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) }, cancellationToken: TestContext.Current.CancellationToken);
        using var app = new Replica(path, "a", enable: false);
        app.Exec("INSERT INTO settings VALUES ('k', 'v', 'x', 1)");
        using var holder = new SqliteConnection($"Data Source={path};Pooling=false");
        holder.Open();
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var e = Assert.Throws<StorageException>(() => db.Capture(TestContext.Current.CancellationToken));
        Assert.Equal(("locked", ErrorCode.StorageFailure), (e.Cause, e.Code));
        Assert.Contains("stayed locked by another process", e.Message, StringComparison.Ordinal);
        using (var rollback = holder.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        Assert.Equal(1, db.Capture(TestContext.Current.CancellationToken).Changes);
    }

    [Fact]
    public void CorruptDatabaseFile_IsRefusedWithAdviceToRestore()
    {
        string path = _dir.File("bad.db");
        File.WriteAllBytes(path, Enumerable.Range(0, 8192).Select(i => (byte)(i * 31)).ToArray());
        var e = Assert.Throws<StorageException>(() => SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = "x" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("corrupt", e.Cause);
        Assert.Contains("edgesync restore", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiskFull_WriteIsRolledBack_WithAClearError_AndNothingCommittedIsLost()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/bin/mount"),
            "needs root on Linux to mount a size-limited tmpfs (CI runs as root)");
        string mount = _dir.File("small");
        Directory.CreateDirectory(mount);
        Run("/bin/mount", $"-t tmpfs -o size=600k tmpfs {mount}");
        try
        {
            string path = Path.Combine(mount, "a.db");
            using var a = new Replica(path, "a");
            a.Exec("INSERT INTO settings VALUES ('kept', 'v', 'a', 1)");
            a.Db.Capture(TestContext.Current.CancellationToken);
            var blob = new byte[64 * 1024];
            var full = Assert.ThrowsAny<Exception>(() =>
            {
                for (int i = 0; i < 100; i++)
                {
                    a.Exec("INSERT INTO counters VALUES ($1, 1, 'x', $2)", (long)i, blob);
                    a.Db.Capture(TestContext.Current.CancellationToken);
                }
            });
            Assert.True(full is StorageException { Cause: "disk_full" } or SqliteException { SqliteErrorCode: 13 },
                $"expected a disk-full error, got {full.GetType().Name}: {full.Message}");
            Assert.Equal("v", a.Scalar("SELECT value FROM settings WHERE key = 'kept'"));
            Assert.Equal("ok", a.Scalar("PRAGMA quick_check"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Run("/bin/umount", $"-l {mount}");
        }
    }

    [Fact]
    public void ReadOnlyVolume_IsRefusedClearly_AndTheDataIsIntact()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/bin/mount"),
            "needs root on Linux to remount a directory read-only (CI runs as root)");
        string data = _dir.File("data");
        Directory.CreateDirectory(data);
        string path = Path.Combine(data, "a.db");
        using (var a = new Replica(path, "a"))
        {
            a.Exec("INSERT INTO settings VALUES ('kept', 'v', 'a', 1)");
            a.Db.Capture(TestContext.Current.CancellationToken);
        }

        SqliteConnection.ClearAllPools();
        Run("/bin/mount", $"--bind {data} {data}");
        try
        {
            Run("/bin/mount", $"-o remount,ro,bind {data}");
            var e = Assert.Throws<StorageException>(() => SyncDatabase.Open(path, cancellationToken: TestContext.Current.CancellationToken));
            Assert.True(e.Cause is "read_only" or "cannot_open", $"cause {e.Cause}: {e.Message}");
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Run("/bin/umount", $"-l {data}");
        }

        using var reopened = SyncDatabase.Open(path, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, reopened.Vector["a"]);
    }

    private static void Run(string exe, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} {args}: {p.StandardError.ReadToEnd()}");
    }
}
