using EdgeSync.Internal;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// The long reads that never wait for the writer (a checksum of every row, the metadata measure) still stop when
/// their caller gives up: the token interrupts the statement that is running.
/// </summary>
public sealed class LongReadCancellationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AStatementThatWouldNeverEnd_IsInterruptedByTheToken()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var connection = new SqliteConnection($"Data Source={a.Path};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var cancel = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        var run = Task.Run(() => ReadInterrupt.Run(connection, () =>
        {
            started.Set();
            return Sql.Scalar(connection, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
        }, cancel.Token), TestContext.Current.CancellationToken);
        started.Wait(TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken); // the statement is running: only the interrupt can end it
        cancel.Cancel();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.Equal(1L, Sql.Scalar(connection, "SELECT 1")); // the connection works on
    }

    [Fact]
    public void Checksum_AndMeasureMetadata_WithACancelledToken_ReadNothing_AndWorkAfterwards()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("INSERT INTO readings VALUES (1, 'plc', 1, 0.5)");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => a.Db.Checksum(cancel.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => a.Db.MeasureMetadata(cancel.Token));
        Assert.Equal(64, a.Db.Checksum(TestContext.Current.CancellationToken).Length);
        Assert.Equal(0, a.Db.MeasureMetadata(TestContext.Current.CancellationToken).Tombstones);
    }
}
