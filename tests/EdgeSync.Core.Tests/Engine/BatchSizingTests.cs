using EdgeSync.Extract;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// An extraction starts with a small batch and doubles the next ones up to <see cref="SyncDatabaseOptions.MaxBatchRows"/>,
/// so the oldest changes reach a peer first and soon, whatever the backlog; a stream cut between batches resumes from
/// the peer's vector without losing or repeating rows.
/// </summary>
public sealed class BatchSizingTests : IDisposable
{
    private const int Rows = 50_000;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Writes <paramref name="count"/> rows numbered from <paramref name="first"/> in one application transaction, then captures.</summary>
    private static void Write(Replica r, string table, int first, int count)
    {
        using var tx = r.App.BeginTransaction();
        using var cmd = r.App.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = table == "readings"
            ? "INSERT INTO readings(id, device, ts, value) VALUES ($i, 'dev', $i, $i * 0.5)"
            : "INSERT INTO settings(key, value, owner, version) VALUES (printf('k%06d', $i), 'v', 'a', $i)";
        var i = cmd.Parameters.Add("$i", Microsoft.Data.Sqlite.SqliteType.Integer);
        for (int n = first; n < first + count; n++)
        {
            i.Value = n;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
        r.Db.Capture(Ct);
    }

    private static long Count(Replica r, string table) => (long)r.Scalar($"SELECT count(*) FROM {table}")!;

    /// <summary>The highest row number <paramref name="r"/> holds (ids of readings, versions of settings).</summary>
    private static long Highest(Replica r, string table) =>
        (long)(r.Scalar(table == "readings" ? "SELECT max(id) FROM readings" : "SELECT max(version) FROM settings") ?? 0L);

    [Theory]
    [InlineData("readings")] // append: rows travel as insert runs
    [InlineData("settings")] // lww: rows travel one by one with their clocks
    public void ABacklog_TravelsInBatchesThatStartSmallAndDouble_OldestRowsFirst(string table)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        Write(a, table, 1, Rows);

        var batches = a.Db.GetChanges(b.Db.Vector, Ct).ToList();

        Assert.Equal([1_000, 2_000, 4_000, 8_000, 16_000, 19_000], batches.Select(x => x.RowCount));
        long applied = 0;
        foreach (var batch in batches)
        {
            b.Db.Apply(batch, cancellationToken: Ct);
            applied += batch.RowCount;
            Assert.Equal(applied, Count(b, table)); // each batch is visible on its own ...
            Assert.Equal(applied, Highest(b, table)); // ... and holds the oldest rows not yet sent
        }

        Assert.Equal(a.Db.Checksum(Ct), b.Db.Checksum(Ct));
        Assert.Equal(a.Db.Vector["a"], b.Db.Vector["a"]);
    }

    [Fact]
    public void MaxBatchRowsBelowTheFirstBatch_BoundsEveryBatch()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        Write(a, "readings", 1, 2_000);
        a.Db.Dispose();
        using var small = SyncDatabase.Open(a.Path, new SyncDatabaseOptions { MaxBatchRows = 300 }, cancellationToken: Ct);

        var batches = small.GetChanges(b.Db.Vector, Ct).ToList();

        Assert.Equal([300, 300, 300, 300, 300, 300, 200], batches.Select(x => x.RowCount));
        Assert.True(BatchBuilder.FirstBatchRows > 300);
    }

    [Theory]
    [InlineData("readings")]
    [InlineData("settings")]
    public void AStreamCutBetweenBatches_ResumesFromThePeersVector_WithNothingLostOrRepeated(string table)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        Write(a, table, 1, Rows);

        // The peer applies three batches, then the stream is cut (the enumeration ends mid-extraction) ...
        int taken = 0;
        foreach (var batch in a.Db.GetChanges(b.Db.Vector, Ct))
        {
            b.Db.Apply(batch, cancellationToken: Ct);
            if (++taken == 3)
            {
                break;
            }
        }

        Assert.Equal(7_000, Count(b, table));

        // ... the application goes on writing, and the next extraction starts where the peer's vector says.
        Write(a, table, Rows + 1, 5_000);
        var rest = a.Db.GetChanges(b.Db.Vector, Ct).ToList();

        Assert.Equal(BatchBuilder.FirstBatchRows, rest[0].RowCount); // a new extraction starts small again
        Assert.Equal(Rows + 5_000 - 7_000, rest.Sum(x => x.RowCount));
        foreach (var batch in rest)
        {
            var result = b.Db.Apply(batch, cancellationToken: Ct);
            Assert.Equal(0, result.Skipped); // nothing sent twice
        }

        Assert.Equal(Rows + 5_000, Count(b, table));
        Assert.Equal(a.Db.Checksum(Ct), b.Db.Checksum(Ct));
        Assert.True(b.Db.Vector.Dominates(a.Db.Vector));
    }
}
