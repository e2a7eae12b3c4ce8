using System.Diagnostics;
using EdgeSync.Clocks;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// An application holding the write lock (writing transaction after transaction) must not stall sync: what is
/// already sealed can be extracted and applied meanwhile, and capture seals the rest once it gets the lock.
/// </summary>
public sealed class BusyWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WhileAnotherConnectionHoldsTheWriteLock_SealedChangesAreStillExtracted_AndCaptureWaitsWithoutBlockingThem()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO readings VALUES (1, 'sealed', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);

        using var writer = new SqliteConnection($"Data Source={a.Path};Pooling=false");
        writer.Open();
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE; INSERT INTO readings VALUES (2, 'pending', 2, 2.0)";
            cmd.ExecuteNonQuery();
        }

        // A capture waiting for the lock (as the agent's capture loop would) ...
        var capture = Task.Run(() => a.Db.Capture(), TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(capture.IsCompleted);

        // ... does not hold up extraction of what is sealed, nor the database's other work.
        var clock = Stopwatch.StartNew();
        var batches = a.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken).ToList();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"extraction waited {clock.Elapsed.TotalSeconds:0.0} s for the other writer");
        foreach (var batch in batches)
        {
            b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(1L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(1L, a.Db.Vector["a"]);

        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "COMMIT";
            cmd.ExecuteNonQuery();
        }

        var captured = await capture.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken); // got the lock once the writer committed
        Assert.Equal(1, captured.Changes);
        b.PullFrom(a);
        Assert.Equal(a.Db.Checksum(), b.Db.Checksum());
    }

    private static SqliteConnection HoldWriteLock(string path)
    {
        var writer = new SqliteConnection($"Data Source={path};Pooling=false");
        writer.Open();
        using var cmd = writer.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE; INSERT INTO readings VALUES (99, 'pending', 99, 9.0)";
        cmd.ExecuteNonQuery();
        return writer;
    }

    [Fact]
    public async Task Capture_WaitingForAnotherWriter_StopsWhenCancelled_LongBeforeTheBusyTimeout()
    {
        using var a = new Replica(_dir.File("a.db"), "a"); // busy timeout: the default 10 s
        using var writer = HoldWriteLock(a.Path);
        using var cts = new CancellationTokenSource();

        var capture = Task.Run(() => a.Db.Capture(cts.Token), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(capture.IsCompleted);
        await cts.CancelAsync();

        // Without cancellation it would wait the whole busy timeout; cancelled, it ends at its next pause.
        var waited = capture.ContinueWith(_ => { }, TestContext.Current.CancellationToken, TaskContinuationOptions.None, TaskScheduler.Default);
        await waited.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => capture);

        // The database is still usable: once the writer commits, capture seals its row.
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "COMMIT";
            cmd.ExecuteNonQuery();
        }

        Assert.Equal(1, a.Db.Capture(TestContext.Current.CancellationToken).Changes);
    }

    [Fact]
    public async Task Apply_WaitingForAnotherWriter_StopsWhenCancelled_WithNothingApplied()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        var batch = Assert.Single(a.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken));
        using var writer = HoldWriteLock(b.Path);
        using var cts = new CancellationTokenSource();

        var apply = Task.Run(() => b.Db.Apply(batch, "a", cancellationToken: cts.Token), cancellationToken: TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(apply.IsCompleted);
        await cts.CancelAsync();

        var waited = apply.ContinueWith(_ => { }, TestContext.Current.CancellationToken, TaskContinuationOptions.None, TaskScheduler.Default);
        await waited.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply);
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "COMMIT";
            cmd.ExecuteNonQuery();
        }

        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM settings"));
        Assert.Equal(0L, b.Db.Vector["a"]);
        b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("v", b.Scalar("SELECT value FROM settings WHERE key = 'k'"));
    }
}
