using BenchmarkDotNet.Attributes;
using EdgeSync.Clocks;
using EdgeSync.Merge;

namespace EdgeSync.MicroBench;

/// <summary>
/// <see cref="RowMerge.Merge"/> of a local 4-column row state with an incoming one, per case of the merge rules;
/// each benchmark merges 1,000 distinct pairs and reports the time and allocation of one merge.
/// </summary>
[MemoryDiagnoser]
public class RowMergeBenchmarks
{
    private const int Pairs = 1_000;
    private readonly RowState[] _local = new RowState[Pairs];
    private readonly RowState[] _newerColumn = new RowState[Pairs];
    private readonly RowState[] _same = new RowState[Pairs];
    private readonly RowState[] _concurrent = new RowState[Pairs];
    private readonly RowState[] _deleted = new RowState[Pairs];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Pairs; i++)
        {
            var insert = new CellClock(Hlc.From(1_765_000_000_000 + i, 0), "site-a", i + 1, Hlc.Zero, "");
            object?[] values = [(long)i, SampleBatches.Device(i), SampleBatches.Ts(i), SampleBatches.Value(i)];
            _local[i] = RowState.Alive(1, values, [insert, insert, insert, insert]);
            _same[i] = RowState.Alive(1, (object?[])values.Clone(), [insert, insert, insert, insert]);

            // site-b overwrote value after seeing the insert: an ordinary update of one column.
            var update = new CellClock(Hlc.From(1_765_000_100_000 + i, 0), "site-b", i + 1, insert.Hlc, "site-a");
            object?[] updated = [(long)i, SampleBatches.Device(i), SampleBatches.Ts(i), SampleBatches.Value(i) + 1];
            _newerColumn[i] = RowState.Alive(1, updated, [insert, insert, insert, update]);

            // site-c wrote device and value without having seen the insert: last writer wins, reported as conflicts.
            var blind = new CellClock(Hlc.From(1_765_000_100_000 + i, 0), "site-c", i + 1, Hlc.Zero, "");
            object?[] concurrent = [(long)i, "other", SampleBatches.Ts(i), -1.0];
            _concurrent[i] = RowState.Alive(1, concurrent, [insert, blind, insert, blind]);

            var delete = new CellClock(Hlc.From(1_765_000_200_000 + i, 0), "site-b", Pairs + i + 1, insert.Hlc, "site-a");
            _deleted[i] = RowState.Deleted(2, delete);
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs)]
    public int NewerColumn() => MergeAll(_newerColumn);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public int SameState() => MergeAll(_same);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public int ConcurrentWrite() => MergeAll(_concurrent);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public int Delete() => MergeAll(_deleted);

    private int MergeAll(RowState[] incoming)
    {
        int actions = 0;
        for (int i = 0; i < Pairs; i++)
        {
            actions += (int)RowMerge.Merge(_local[i], incoming[i]).Action;
        }

        return actions;
    }
}
