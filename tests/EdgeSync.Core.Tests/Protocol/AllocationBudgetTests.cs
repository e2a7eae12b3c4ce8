using System.Buffers;
using EdgeSync.MicroBench;
using EdgeSync.Protocol;

namespace EdgeSync.Tests.Protocol;

/// <summary>
/// Allocation budgets of the codec's hot paths, on the representative batches that bench/EdgeSync.MicroBench
/// measures (5,000 <c>lww</c> row states; one 20,000-row insert run of <c>t(id, device, ts, value)</c>). Bytes
/// allocated on the calling thread are counted in steady state (after warm-up, the least of several calls, so a
/// one-off allocation of the runtime is not charged to the codec). Budgets are per batch for encoding (nothing may
/// grow with the row count except the encoded batch itself) and per row for decoding (what the decoded objects need).
/// </summary>
public sealed class AllocationBudgetTests
{
    /// <summary>
    /// Per batch beyond the encoded bytes: the site table, a few lists and the writer (measured about 1.1 KiB; before
    /// the buffers were pooled, encoding allocated 10 to 30 times the encoded size).
    /// </summary>
    private const long EncodeOverheadPerBatch = 2 * 1024;

    /// <summary>
    /// A decoded 4-column row state: key array, boxed values, text, the values and clocks arrays, the state. Measured
    /// 500 bytes a row; 609 when every batch decoded into a new body array and every row had an array of distinct clocks.
    /// </summary>
    private const long DecodeBytesPerRowState = 540;

    /// <summary>
    /// A decoded run row of 4 columns: rowid, type bytes, 3 numbers, one text slice, and its share of the body.
    /// Measured 71 bytes a row; 103 when every column carried arrays for numbers and for text positions.
    /// </summary>
    private const long DecodeBytesPerRunRow = 80;

    private static long SteadyStateAllocation<T>(Func<T> action, out T result)
    {
        result = action();
        for (int i = 0; i < 3; i++)
        {
            result = action();
        }

        long least = long.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            result = action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }

    public static TheoryData<string> Kinds => ["row states", "insert run"];

    private static ChangeBatch Sample(string kind) => kind == "row states" ? SampleBatches.RowStates() : SampleBatches.InsertRun();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Encode_AllocatesOnlyTheEncodedBatch(string kind)
    {
        var batch = Sample(kind);

        long allocated = SteadyStateAllocation(() => BatchCodec.Encode(batch), out byte[] encoded);

        Assert.True(allocated <= encoded.Length + EncodeOverheadPerBatch,
            $"encoding {kind} allocated {allocated} bytes for {encoded.Length} encoded; budget {encoded.Length + EncodeOverheadPerBatch}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EncodeToBufferWriter_AllocatesNothingPerRow(string kind)
    {
        var batch = Sample(kind);
        var output = new ArrayBufferWriter<byte>(4 * 1024 * 1024);

        long allocated = SteadyStateAllocation(() =>
        {
            output.ResetWrittenCount();
            return BatchCodec.Encode(batch, output);
        }, out int written);

        Assert.True(written > 0);
        Assert.True(allocated <= EncodeOverheadPerBatch,
            $"encoding {kind} into a buffer writer allocated {allocated} bytes; budget {EncodeOverheadPerBatch} per batch");
    }

    public static TheoryData<string, long> DecodeBudgets => new()
    {
        { "row states", DecodeBytesPerRowState },
        { "insert run", DecodeBytesPerRunRow },
    };

    [Theory]
    [MemberData(nameof(DecodeBudgets))]
    public void Decode_StaysWithinItsBudgetPerRow(string kind, long bytesPerRow)
    {
        var batch = Sample(kind);
        byte[] encoded = BatchCodec.Encode(batch);

        long allocated = SteadyStateAllocation(() => BatchCodec.Decode(encoded), out var decoded);

        Assert.Equal(batch.RowCount, decoded.RowCount);
        long budget = bytesPerRow * batch.RowCount;
        Assert.True(allocated <= budget,
            $"decoding {kind} of {batch.RowCount} rows allocated {allocated} bytes ({allocated / batch.RowCount} per row); budget {bytesPerRow} per row");
    }
}
