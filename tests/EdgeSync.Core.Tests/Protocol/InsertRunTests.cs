using CsCheck;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Protocol;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Protocol;

/// <summary>
/// Insert runs (append rows shipped column by column) must mean exactly the row states they stand for: on the wire,
/// at extraction and at apply, compared with the same rows sent one state at a time.
/// </summary>
public sealed class InsertRunTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Gen<object?> GenValue = Gen.OneOf<object?>(
        Gen.Bool.Select(_ => (object?)null),
        Gen.Long.Select(v => (object?)v),
        Gen.Double.Select(v => (object?)v),
        Gen.String.Select(v => (object?)v),
        Gen.Byte.Array[0, 12].Select(v => (object?)v));

    private static readonly Gen<InsertRun> GenRun =
        Gen.Select(Gen.Int[1, 40], Gen.Long[-1_000_000, 1_000_000], Gen.Long[1, 1_000_000], Gen.Long[0, 2_000_000_000_000])
            .SelectMany((n, first, seq, ms) => Gen.Select(Gen.Long[0, 5].Array[n], GenValue.Array[n * 3]).Select((gaps, values) =>
            {
                var rowids = new long[n];
                rowids[0] = first;
                for (int i = 1; i < n; i++)
                {
                    rowids[i] = rowids[i - 1] + 1 + gaps[i];
                }

                var columns = Enumerable.Range(0, 3).Select(_ => new ColumnVector()).ToArray();
                for (int i = 0; i < n; i++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        columns[c].Add(values[i * 3 + c]);
                    }
                }

                return new InsertRun("factory-1/pod-" + (seq % 3), Hlc.From(ms, (int)(seq % 7)), seq, rowids, n, columns);
            }));

    private static ChangeBatch WithRuns(IReadOnlyList<InsertRun> runs) =>
        new("s", VersionVector.Empty, [], [new TableChangeSet("t", ["a", "b", "c"], ["a"], [], runs)]);

    private static string Show(ChangeBatch b) => string.Join("|", b.Tables.Select(t => t.Table + ":" + string.Join(";", t.AllRows().Select(r =>
        $"{string.Join(",", r.Key)} cl={r.State.CausalLength} {string.Join(",", r.State.Clocks)} "
        + string.Join(",", r.State.Values!.Select(v => v switch { byte[] x => "x" + Convert.ToHexString(x), double d => "r" + BitConverter.DoubleToInt64Bits(d), _ => v?.GetType().Name + ":" + v }))))));

    [Fact]
    public void EncodeDecode_RoundTrips_GeneratedRuns() =>
        GenRun.Array[1, 4].Sample(runs =>
        {
            var batch = WithRuns(runs);
            var decoded = BatchCodec.Decode(BatchCodec.Encode(batch));
            return decoded.Tables[0].Runs.Count == runs.Length && decoded.RowCount == batch.RowCount && Show(decoded) == Show(batch);
        }, iter: 2_000);

    [Fact]
    public void Decode_CorruptOrTruncatedRuns_OnlyEverThrowInvalidBatch()
    {
        var runs = GenRun.Array[12].Single();
        var bytes = BatchCodec.Encode(WithRuns(runs));
        Assert.True(runs.Sum(r => r.Count) > 30, "the sample should have rows to corrupt");
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bytes.AsSpan(0, n)));
        }

        Gen.Select(Gen.Int, Gen.Byte).Sample((pos, value) =>
        {
            var copy = (byte[])bytes.Clone();
            copy[Math.Abs(pos % copy.Length)] ^= (byte)(value | 1);
            try
            {
                BatchCodec.Decode(copy);
            }
            catch (InvalidBatchException)
            {
            }

            return true;
        }, iter: 5_000);
    }

    [Fact]
    public void Decode_CompressedLengthThatCannotBeTrue_IsRefusedBeforeAllocating()
    {
        // "ESB1", LZ4 flag, a claimed body of 60 MB, and 4 bytes of "compressed" data.
        byte[] bomb = [.. "ESB1"u8, 2, 0x80, 0x80, 0x80, 0x1D, 1, 2, 3, 4];
        var e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bomb));
        Assert.Contains("claims to decompress to", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extraction_ShipsAppendInsertsAsRuns_AndTheReceiverHoldsTheSameRows()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        InsertReadings(a, 1, 1_000);
        a.Db.Capture(TestContext.Current.CancellationToken);
        var batch = Assert.Single(a.Db.GetChanges(b.Db.Vector, TestContext.Current.CancellationToken));
        var readings = Assert.Single(batch.Tables, t => t.Table == "readings");
        Assert.Empty(readings.Rows);
        Assert.Equal(1_000, readings.Runs.Sum(r => r.Count));

        b.PullFrom(a);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(0, b.PullFrom(a)); // nothing left to send
    }

    [Fact]
    public void Apply_RunsAndTheSameRowsAsStates_LeaveIdenticalReplicas_IncludingConflicts()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var viaRuns = new Replica(_dir.File("r.db"), "r");
        using var viaRows = new Replica(_dir.File("s.db"), "r"); // the same site id: conflicts must be decided alike
        InsertReadings(a, 1, 300);
        a.Db.Capture(TestContext.Current.CancellationToken);
        Thread.Sleep(5); // the receivers' own rows are stamped later: the same writes win on both
        foreach (var receiver in new[] { viaRuns, viaRows })
        {
            // The receivers already hold some ids, with other values: those rows must go through the merge.
            receiver.Exec("INSERT INTO readings VALUES (50, 'mine', 1, 1.0), (299, 'mine', 2, 2.0), (1000, 'mine', 3, 3.0)");
            receiver.Db.Capture(TestContext.Current.CancellationToken);
        }

        foreach (var batch in a.Db.GetChanges(viaRuns.Db.Vector, TestContext.Current.CancellationToken))
        {
            Assert.NotEmpty(batch.Tables.SelectMany(t => t.Runs));
            viaRuns.Db.Apply(BatchCodec.Decode(BatchCodec.Encode(batch)), "a", cancellationToken: TestContext.Current.CancellationToken);
            viaRows.Db.Apply(BatchCodec.Decode(BatchCodec.Encode(AsRowStates(batch))), "a", cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(301L, viaRuns.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(viaRows.Rows("SELECT * FROM readings ORDER BY id").Select(r => string.Join(",", r)),
            viaRuns.Rows("SELECT * FROM readings ORDER BY id").Select(r => string.Join(",", r)));
        Assert.Equal("mine", viaRuns.Scalar("SELECT device FROM readings WHERE id = 299"));
        Assert.Equal(viaRows.Db.Status.GetConflicts().Select(c => (c.Table, c.Key, c.Rule, c.WinnerSite, c.LoserSite)),
            viaRuns.Db.Status.GetConflicts().Select(c => (c.Table, c.Key, c.Rule, c.WinnerSite, c.LoserSite)));
        Assert.Equal(viaRows.Db.Vector["a"], viaRuns.Db.Vector["a"]);

        // And both converge with the origin once it has their rows too.
        a.PullFrom(viaRuns);
        viaRuns.PullFrom(a);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), viaRuns.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Apply_PartlyCoveredRun_AppliesOnlyTheRowsNotYetHeld()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        InsertReadings(a, 1, 10);
        b.PullFrom(a);
        InsertReadings(a, 11, 20);
        a.Db.Capture(TestContext.Current.CancellationToken);
        var late = Assert.Single(a.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken)); // all 20 rows again
        var result = b.Db.Apply(BatchCodec.Decode(BatchCodec.Encode(late)), "a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(10, result.Applied);
        Assert.Equal(10, result.Skipped);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Empty(b.Db.Status.GetConflicts());
    }

    [Fact]
    public void Relay_OfARangeWithAMergedRowInside_KeepsEveryClock()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        using var c = new Replica(_dir.File("c.db"), "c");
        InsertReadings(b, 1, 100);
        a.Exec("INSERT INTO readings VALUES (40, 'from-a', 0, 0.0)");
        b.PullFrom(a); // id 40 now has per-row metadata at b, inside b's own insert range
        c.PullFrom(b);
        a.PullFrom(b);
        b.PullFrom(a);
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), c.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(100L, c.Scalar("SELECT count(*) FROM readings"));
    }

    [Fact]
    public void Apply_RunFromTheFarFuture_IsRefusedWhole()
    {
        using var b = new Replica(_dir.File("b.db"), "b");
        var columns = new[] { new ColumnVector(), new ColumnVector(), new ColumnVector(), new ColumnVector() };
        columns[0].AddInt64(1);
        columns[1].Add("d");
        columns[2].AddInt64(1);
        columns[3].AddDouble(1);
        var future = Hlc.From(DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeMilliseconds(), 0);
        var run = new InsertRun("a", future, 1, [1], 1, columns);
        var batch = new ChangeBatch("a", VersionVector.From([new("a", 1)]), [new OriginRange("a", 0, 1)],
            [new TableChangeSet("readings", ["id", "device", "ts", "value"], ["id"], [], [run])]);
        var e = Assert.Throws<InvalidBatchException>(() => b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("ahead of this replica's clock", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(0L, b.Db.Vector["a"]);
    }

    [Fact]
    public void Apply_RunWithTheWrongColumns_IsRefused()
    {
        using var b = new Replica(_dir.File("b.db"), "b");
        var column = new ColumnVector();
        column.AddInt64(1);
        var run = new InsertRun("a", Hlc.From(1, 0), 1, [1], 1, [column]);
        var batch = new ChangeBatch("a", VersionVector.Empty, [],
            [new TableChangeSet("readings", ["id", "device", "ts", "value"], ["id"], [], [run])]);
        Assert.Throws<InvalidBatchException>(() => b.Db.Apply(batch, "a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM readings"));
    }

    [Theory]
    [InlineData("nan", "NaN value")]
    [InlineData("key", "carries a different value in key column 'id'")]
    [InlineData("key-type", "carries a different value in key column 'id'")]
    public void Apply_RunWithAValueARowStateCouldNotHave_IsRefusedWhole(string what, string message)
    {
        using var b = new Replica(_dir.File("b.db"), "b");
        var columns = new[] { new ColumnVector(), new ColumnVector(), new ColumnVector(), new ColumnVector() };
        for (long id = 1; id <= 3; id++)
        {
            if (what == "key-type" && id == 2)
            {
                columns[0].Add("two");
            }
            else
            {
                columns[0].AddInt64(what == "key" && id == 3 ? 4 : id);
            }

            columns[1].Add("d");
            columns[2].AddInt64(id);
            columns[3].AddDouble(what == "nan" && id == 2 ? double.NaN : 0.5);
        }

        var run = new InsertRun("a", Hlc.From(1_700_000_000_000, 0), 1, [1, 2, 3], 3, columns);
        var batch = new ChangeBatch("a", VersionVector.From([new("a", 3)]), [new OriginRange("a", 0, 3)],
            [new TableChangeSet("readings", ["id", "device", "ts", "value"], ["id"], [], [run])]);
        var e = Assert.Throws<InvalidBatchException>(() => b.Db.Apply(BatchCodec.Decode(BatchCodec.Encode(batch)), "a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(0L, b.Db.Vector["a"]);
    }

    private static ChangeBatch AsRowStates(ChangeBatch batch) => new(batch.Sender, batch.SenderVector, batch.Ranges,
        batch.Tables.Select(t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns, t.AllRows().ToList())).ToList());

    private static void InsertReadings(Replica r, long from, long to)
    {
        r.Exec("BEGIN");
        for (long id = from; id <= to; id++)
        {
            r.Exec("INSERT INTO readings VALUES ($1, $2, $3, $4)", id, "dev-" + (id % 7), 1_700_000_000_000 + id, id % 5 == 0 ? null : id * 0.25);
        }

        r.Exec("COMMIT");
    }
}
