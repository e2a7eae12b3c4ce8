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
        a.Db.Capture();

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
            b.Db.Apply(batch, "a");
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
}
