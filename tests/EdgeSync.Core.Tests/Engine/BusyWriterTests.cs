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
        var batches = a.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken).ToList();
        Assert.False(capture.IsCompleted, "extraction ran while the writer still held its lock (the capture still waits for it)");
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
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
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

    private static void Commit(SqliteConnection writer)
    {
        using var cmd = writer.CreateCommand();
        cmd.CommandText = "COMMIT";
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Starts <paramref name="operation"/> with a token, checks it is waiting, cancels, and checks it ends with
    /// <see cref="OperationCanceledException"/> long before the 10 s busy timeout it would otherwise wait out.
    /// </summary>
    private static async Task AssertCancelledWhileWaiting(Action<CancellationToken> operation)
    {
        using var cts = new CancellationTokenSource();
        var running = Task.Run(() => operation(cts.Token), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(running.IsCompleted);
        await cts.CancelAsync();

        var ended = running.ContinueWith(_ => { }, TestContext.Current.CancellationToken, TaskContinuationOptions.None, TaskScheduler.Default);
        await ended.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task Capture_WaitingForAnotherWriter_StopsWhenCancelled_LongBeforeTheBusyTimeout()
    {
        using var a = new Replica(_dir.File("a.db"), "a"); // busy timeout: the default 10 s
        using var writer = HoldWriteLock(a.Path);

        await AssertCancelledWhileWaiting(token => a.Db.Capture(token));

        // The database is still usable: once the writer commits, capture seals its row.
        Commit(writer);
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

        await AssertCancelledWhileWaiting(token => b.Db.Apply(batch, "a", cancellationToken: token));

        Commit(writer);
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM settings"));
        Assert.Equal(0L, b.Db.Vector["a"]);
        b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("v", b.Scalar("SELECT value FROM settings WHERE key = 'k'"));
    }

    [Fact]
    public async Task RecordPeerVector_WaitingForAnotherWriter_StopsWhenCancelled_WithNothingRecorded()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        var holdsNothing = VersionVector.Empty.With("b", 1); // a peer that has none of a's changes
        using var writer = HoldWriteLock(a.Path);

        await AssertCancelledWhileWaiting(token => a.Db.RecordPeerVector("b", holdsNothing, token));

        Commit(writer);
        Assert.DoesNotContain(a.Db.Status.GetPeerBacklogs(), p => p.Peer == "b");
        a.Db.RecordPeerVector("b", holdsNothing, TestContext.Current.CancellationToken);
        Assert.Equal(1, Assert.Single(a.Db.Status.GetPeerBacklogs(), p => p.Peer == "b").Backlog);
    }

    [Fact]
    public async Task StatusWrites_WaitingForAnotherWriter_StopWhenCancelled_WithNothingWritten()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var writer = HoldWriteLock(a.Path);

        await AssertCancelledWhileWaiting(token => a.Db.Status.MarkSynced("b", token));
        await AssertCancelledWhileWaiting(token => a.Db.Status.RecordRejection("b", "owner", "not yours", token));
        await AssertCancelledWhileWaiting(token => a.Db.RecordDirection("settings", "Up", token));

        Commit(writer);
        Assert.Empty(a.Db.Status.GetSyncStatus());
        Assert.Empty(a.Db.Status.GetRejections());
        Assert.Null(a.Db.RecordDirection("settings", "Up", TestContext.Current.CancellationToken)); // none was recorded before
        a.Db.Status.MarkSynced("b", TestContext.Current.CancellationToken);
        Assert.Contains(a.Db.Status.GetSyncStatus(), e => e.ClusterId == "b");
    }

    [Fact]
    public async Task Open_WaitingForAnotherWriter_StopsWhenCancelled_AndOpensOnceTheWriterCommits()
    {
        using (new Replica(_dir.File("a.db"), "a"))
        {
            // set up, then closed: the next open takes the write lock to check EdgeSync's tables
        }

        using var writer = HoldWriteLock(_dir.File("a.db"));

        await AssertCancelledWhileWaiting(token => SyncDatabase.Open(_dir.File("a.db"), cancellationToken: token).Dispose());

        Commit(writer);
        using var db = SyncDatabase.Open(_dir.File("a.db"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("a", db.SiteId);
    }

    [Fact]
    public async Task RecordPeerVector_WaitingForAnotherWriter_DoesNotHoldUpExtractionOrCapture()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO readings VALUES (1, 'sealed', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        using var writer = HoldWriteLock(a.Path);

        // A peer's announcement being recorded (the agent does it as each arrives) waits for the application's lock ...
        var record = Task.Run(() => a.Db.RecordPeerVector("b", VersionVector.Empty.With("b", 1)), TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(record.IsCompleted);

        // ... while the peer still pulls what is sealed, and a capture is free to wait for the lock too.
        var batches = a.Db.GetChanges(b.Db.Vector, TestContext.Current.CancellationToken).ToList();
        var capture = Task.Run(() => a.Db.Capture(), TestContext.Current.CancellationToken);
        Assert.False(record.IsCompleted, "extraction ran only after the record gave up waiting");
        foreach (var batch in batches)
        {
            b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(1L, b.Scalar("SELECT count(*) FROM readings"));

        Commit(writer);
        await record.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(1, (await capture.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Changes);
        Assert.Contains(a.Db.Status.GetPeerBacklogs(), p => p.Peer == "b");
        b.PullFrom(a);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void TryCapture_WhileAnotherWriterHoldsTheLock_SealsNothingAndReturnsNull_ThenSealsOnceItCommits()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var writer = HoldWriteLock(a.Path);

        Assert.Null(a.Db.TryCapture(TestContext.Current.CancellationToken));
        Assert.Equal(0L, a.Db.Vector["a"]);

        Commit(writer);
        Assert.Equal(1, a.Db.TryCapture(TestContext.Current.CancellationToken)?.Changes);
        Assert.Equal(0, a.Db.TryCapture(TestContext.Current.CancellationToken)?.Changes); // nothing new: a result, not null
        Assert.Equal(1L, a.Db.Vector["a"]);
    }
}
