using System.Buffers;
using BenchmarkDotNet.Attributes;
using EdgeSync.Protocol;

namespace EdgeSync.MicroBench;

/// <summary>
/// <see cref="BatchCodec"/> on the two representative batches of <see cref="SampleBatches"/>: 5,000 <c>lww</c> row
/// states (boxed values, per-row clocks) and one 20,000-row <c>append</c> insert run (unboxed columns).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private ChangeBatch _rowStates = null!;
    private ChangeBatch _insertRun = null!;
    private byte[] _rowStatesEncoded = [];
    private byte[] _insertRunEncoded = [];
#if !EDGESYNC_BASELINE
    private readonly ArrayBufferWriter<byte> _output = new(4 * 1024 * 1024);
#endif

    [GlobalSetup]
    public void Setup()
    {
        _rowStates = SampleBatches.RowStates();
        _insertRun = SampleBatches.InsertRun();
        _rowStatesEncoded = BatchCodec.Encode(_rowStates);
        _insertRunEncoded = BatchCodec.Encode(_insertRun);
    }

    [Benchmark]
    public byte[] EncodeRowStates() => BatchCodec.Encode(_rowStates);

    [Benchmark]
    public ChangeBatch DecodeRowStates() => BatchCodec.Decode(_rowStatesEncoded);

    [Benchmark]
    public byte[] EncodeInsertRun() => BatchCodec.Encode(_insertRun);

    [Benchmark]
    public ChangeBatch DecodeInsertRun() => BatchCodec.Decode(_insertRunEncoded);

#if !EDGESYNC_BASELINE
    [Benchmark]
    public int EncodeRowStatesToBufferWriter()
    {
        _output.ResetWrittenCount();
        return BatchCodec.Encode(_rowStates, _output);
    }

    [Benchmark]
    public int EncodeInsertRunToBufferWriter()
    {
        _output.ResetWrittenCount();
        return BatchCodec.Encode(_insertRun, _output);
    }
#endif
}
