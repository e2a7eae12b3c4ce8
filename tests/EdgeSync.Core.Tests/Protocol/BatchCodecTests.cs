using CsCheck;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Tests.Merge;

namespace EdgeSync.Tests.Protocol;

public sealed class BatchCodecTests
{
    private static ChangeBatch Sample(int rows)
    {
        var list = new List<RowChange>();
        var clock = new CellClock(Hlc.From(1_700_000_000_000, 1), "factory-1/pod-0", 42, Hlc.Zero, "");
        for (int i = 0; i < rows; i++)
        {
            object?[] values = [(long)i, "device-" + i, i * 0.5, i % 3 == 0 ? null : new byte[] { 1, 2, (byte)i }];
            list.Add(new RowChange([(long)i], i % 5 == 4
                ? RowState.Deleted(2, clock with { Seq = 100 + i })
                : RowState.Alive(1, values, [clock, clock with { Seq = 43, Site = "hub" }, clock, clock])));
        }

        var vector = VersionVector.From([new("factory-1/pod-0", 99), new("hub", 7)]);
        return new ChangeBatch("factory-1/pod-0", vector, [new OriginRange("factory-1/pod-0", 3, 99)],
            [new TableChangeSet("readings", ["id", "device", "value", "raw"], ["id"], list)]);
    }

    private static string Show(ChangeBatch b)
    {
        var head = $"{b.Sender} {b.SenderVector} {string.Join(",", b.Ranges)} ";
        return head + string.Join("|", b.Tables.Select(t =>
            $"{t.Table}({string.Join(",", t.Columns)};{string.Join(",", t.KeyColumns)}) " + string.Join(";", t.AllRows().Select(ShowRow))));
    }

    private static string ShowRow(RowChange r)
    {
        var values = r.State.Values?.Select(v => v is byte[] x ? Convert.ToHexString(x) : v?.ToString() ?? "NULL") ?? [];
        return $"{string.Join(",", r.Key)} cl={r.State.CausalLength} {string.Join(",", r.State.Clocks)} {string.Join(",", values)}";
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(2_000)]
    public void EncodeDecode_RoundTrips(int rows)
    {
        var batch = Sample(rows);
        Assert.Equal(Show(batch), Show(BatchCodec.Decode(BatchCodec.Encode(batch))));
    }

    [Fact]
    public void Disclaimed_TravelsInProtocol4_AndIsLeftOutForAnOlderPeer()
    {
        var sample = Sample(3);
        var batch = new ChangeBatch(sample.Sender, sample.SenderVector, sample.Ranges, sample.Tables) { Disclaimed = [new OriginRange("hub", 2, 9)] };

        var current = BatchCodec.Encode(batch);
        Assert.Equal(4, BatchCodec.ProtocolOf(current));
        Assert.Equal([new OriginRange("hub", 2, 9)], BatchCodec.Decode(current).Disclaimed);
        Assert.Equal(Show(batch), Show(BatchCodec.Decode(current)));

        // A peer speaking protocol 3 gets the batch without it: it refuses a stale-looking batch as before.
        var older = BatchCodec.Encode(batch, 3);
        Assert.InRange(BatchCodec.ProtocolOf(older), 2, 3);
        Assert.Empty(BatchCodec.Decode(older).Disclaimed);
        Assert.InRange(BatchCodec.ProtocolOf(BatchCodec.Encode(sample)), 2, 3); // nothing disclaimed: readable by protocol 3 as before
    }

    [Fact]
    public void EncodeDecode_RoundTrips_GeneratedStates() =>
        RowMergePropertyTests.GenState.Array[0, 20].Sample(states =>
        {
            var batch = new ChangeBatch("s", VersionVector.Empty, [],
                [new TableChangeSet("t", ["a", "b", "c"], ["a"], states.Select((s, i) => new RowChange([(long)i], s)).ToList())]);
            return Show(batch) == Show(BatchCodec.Decode(BatchCodec.Encode(batch)));
        }, iter: 2_000);

    [Fact]
    public void Decode_EveryTruncation_FailsCleanly()
    {
        var bytes = BatchCodec.Encode(Sample(50));
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bytes.AsSpan(0, n)));
        }
    }

    [Fact]
    public void Decode_RandomCorruption_NeverThrowsAnythingButInvalidBatch() =>
        Gen.Select(Gen.Int[0, 20], Gen.Int, Gen.Byte).Sample((rows, pos, value) =>
        {
            var bytes = BatchCodec.Encode(Sample(rows));
            bytes[Math.Abs(pos % bytes.Length)] ^= (byte)(value | 1);
            try
            {
                BatchCodec.Decode(bytes);
            }
            catch (InvalidBatchException)
            {
            }

            return true;
        }, iter: 5_000);

    [Fact]
    public void Decode_OversizedBatch_IsRefusedBeforeDecompressing()
    {
        var bytes = BatchCodec.Encode(Sample(2_000));
        var e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bytes, new BatchLimits { MaxEncodedBytes = 100 }));
        Assert.Contains("exceeds the limit", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode(bytes, new BatchLimits { MaxRows = 10 }));
        Assert.Contains("exceeds the limit of 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NotABatch_SaysSo()
    {
        var e = Assert.Throws<InvalidBatchException>(() => BatchCodec.Decode("GET / HTTP/1.1\r\n"u8));
        Assert.Contains("not an EdgeSync change batch", e.Message, StringComparison.Ordinal);
    }
}
