using System.IO.Compression;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// Regression tests for what the fuzz harness (tests/EdgeSync.Fuzz) found: batches a buggy or hostile peer can send
/// that decode fine but used to crash apply with an untyped exception, or to make the decoder allocate gigabytes.
/// Each is now refused whole with <see cref="InvalidBatchException"/> and nothing applied.
/// </summary>
public sealed class HostileBatchTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Replica New(string site) => new(_dir.File(site + ".db"), site);

    private static ChangeBatch OneBatch(Replica from)
    {
        from.Db.Capture();
        return Assert.Single(from.Db.GetChanges(VersionVector.Empty, TestContext.Current.CancellationToken));
    }

    private static ChangeBatch WithTable(ChangeBatch b, Func<TableChangeSet, TableChangeSet> change) =>
        new(b.Sender, b.SenderVector, b.Ranges, b.Tables.Select(change).ToList());

    private static RowChange WithValue(RowChange r, int column, object? value)
    {
        var values = (object?[])r.State.Values!.Clone();
        values[column] = value;
        return r with { State = RowState.Alive(r.State.CausalLength, values, r.State.Clocks) };
    }

    private static void AssertRefusedWhole(Replica target, ChangeBatch batch, string because)
    {
        string sum = target.Db.Checksum(TestContext.Current.CancellationToken), vector = target.Db.Vector.ToString();
        var e = Assert.Throws<InvalidBatchException>(() => target.Db.Apply(batch));
        Assert.Contains(because, e.Message, StringComparison.Ordinal);
        Assert.Equal(sum, target.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Equal(vector, target.Db.Vector.ToString());
    }

    [Fact]
    public void Apply_BatchNamingAColumnTwice_IsRefusedWhole()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        var batch = WithTable(OneBatch(a), t => new TableChangeSet(t.Table, ["key", "value", "value", "version"], t.KeyColumns, t.Rows, t.Runs));

        AssertRefusedWhole(b, batch, "names column 'value' twice");
    }

    [Fact]
    public void Apply_RowWhoseKeyDiffersFromItsKeyColumn_IsRefusedWhole()
    {
        using var a = New("a");
        using var b = New("b");
        b.Exec("INSERT INTO settings VALUES ('k', 'local', 'b', 1)");
        b.Db.Capture(TestContext.Current.CancellationToken);
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        a.Exec("INSERT INTO readings VALUES (7, 'd', 1, 1.0)");
        var batch = OneBatch(a);

        AssertRefusedWhole(b, WithTable(batch, t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns,
            t.AllRows().Select(r => t.Table == "settings" ? r with { Key = ["other"] } : r).ToList())), "row 'other' carries a different value in key column 'key'");
        AssertRefusedWhole(b, WithTable(batch, t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns,
            t.AllRows().Select(r => t.Table == "readings" ? WithValue(r, 0, 8L) : r).ToList())), "carries a different value in key column 'id'");
        b.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Apply_NaNValue_IsRefusedWhole()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var batch = WithTable(OneBatch(a), t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns, t.AllRows().Select(r => WithValue(r, 3, double.NaN)).ToList()));

        AssertRefusedWhole(b, BatchCodec.Decode(BatchCodec.Encode(batch)), "NaN");
    }

    [Fact]
    public void Apply_ClockPastYear9999_IsRefusedAsTooFarAhead()
    {
        using var a = New("a");
        using var b = New("b");
        a.Exec("INSERT INTO settings VALUES ('k', 'v', 'a', 1)");
        var batch = WithTable(OneBatch(a), t => new TableChangeSet(t.Table, t.Columns, t.KeyColumns, t.AllRows().Select(r =>
            r with { State = RowState.Alive(1, r.State.Values!, r.State.Clocks.Select(c => c with { Hlc = new Hlc(long.MaxValue) }).ToArray()) }).ToList()));

        AssertRefusedWhole(b, batch, "ahead of this replica's clock");
    }

    [Fact]
    public void Decode_WideRowsOfNulls_AreRefusedAtTheCellLimit_BeforeAllocatingThemAll()
    {
        var clock = new CellClock(Hlc.From(1_700_000_000_000, 0), "a", 1, Hlc.Zero, "");
        var names = Enumerable.Range(0, 2_000).Select(i => "c" + i).ToArray();
        var clocks = Enumerable.Repeat(clock, names.Length).ToArray();
        var values = new object?[names.Length];
        var rows = Enumerable.Range(0, 500).Select(i => new RowChange([(long)i], RowState.Alive(1, values, clocks))).ToList();
        byte[] bytes = BatchCodec.Encode(new ChangeBatch("a", VersionVector.Empty, [], [new TableChangeSet("t", names, ["c0"], rows)]));
        Assert.True(bytes.Length < 64 * 1024, $"{bytes.Length} bytes on the wire");
        var limits = new BatchLimits { MaxCells = 100_000 };

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bytes, limits));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("more than 100000 cells", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated} bytes before refusing");
        Assert.Equal(500, BatchCodec.Decode(bytes, limits with { MaxCells = 1_000_000 }).RowCount);
        Assert.Equal(4_000_000, BatchLimits.Default.MaxCells);
    }

    [Fact]
    public void Decode_DecompressionBomb_IsRefusedAtTheDecodedLimit_BeforeInflatingItAll()
    {
        using var output = new MemoryStream();
        output.Write("ESB1"u8);
        output.WriteByte(1);
        using (var z = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(new byte[64 * 1024 * 1024]);
        }

        byte[] bomb = output.ToArray();
        Assert.True(bomb.Length < 256 * 1024, $"{bomb.Length} bytes on the wire");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bomb, new BatchLimits { MaxDecodedBytes = 1024 * 1024 }));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("decompresses to more than 1048576 bytes", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8L * 1024 * 1024, $"allocated {allocated} bytes before refusing");
    }
}
