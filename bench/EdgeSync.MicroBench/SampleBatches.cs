using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.MicroBench;

/// <summary>
/// The representative batches the micro-benchmarks measure and the allocation-budget tests hold to a budget
/// (tests/EdgeSync.Core.Tests links this file): the <c>t(id, device, ts, value)</c> table of the macro benchmarks,
/// as <c>lww</c> row states and as one <c>append</c> insert run, with the default batch sizes.
/// </summary>
internal static class SampleBatches
{
    /// <summary>Rows in <see cref="RowStates"/>.</summary>
    public const int RowStateRows = 5_000;

    /// <summary>Rows in <see cref="InsertRun"/> (the default batch size of insert runs).</summary>
    public const int RunRows = 20_000;

    public static readonly string[] Columns = ["id", "device", "ts", "value"];

    private const string Site = "factory-1/pod-0";
    private static readonly string[] Devices = Enumerable.Range(0, 100).Select(d => $"sensor-{d:D3}").ToArray();

    /// <summary>The values of row <paramref name="i"/> (0-based), as the application inserted them.</summary>
    public static string Device(int i) => Devices[i % Devices.Length];

    public static long Ts(int i) => 1_700_000_000_000_000 + (i * 1_000L);

    public static double Value(int i) => i * 0.25;

    /// <summary>
    /// <paramref name="rows"/> <c>lww</c> row states as an extraction after inserts and updates produces them: most
    /// rows with one clock for every column, every third updated (its <c>value</c> newer, a second distinct clock),
    /// and every 50th a tombstone.
    /// </summary>
    public static ChangeBatch RowStates(int rows = RowStateRows)
    {
        var inserted = new CellClock(Hlc.From(1_765_000_000_000, 0), Site, 1, Hlc.Zero, "");
        var list = new List<RowChange>(rows);
        for (int i = 0; i < rows; i++)
        {
            var insert = inserted with { Hlc = Hlc.From(1_765_000_000_000 + i, 0), Seq = i + 1 };
            object?[] key = [(long)(i + 1)];
            if (i % 50 == 49)
            {
                list.Add(new RowChange(key, RowState.Deleted(2, insert with { Seq = rows + i + 1, PrevHlc = insert.Hlc, PrevSite = Site })));
                continue;
            }

            object?[] values = [(long)(i + 1), Device(i), Ts(i), Value(i)];
            var clocks = new[] { insert, insert, insert, insert };
            if (i % 3 == 2)
            {
                clocks[3] = new CellClock(Hlc.From(1_765_000_100_000 + i, 1), "hub", i + 1, insert.Hlc, Site);
            }

            list.Add(new RowChange(key, RowState.Alive(1, values, clocks)));
        }

        return Batch([new TableChangeSet("t", Columns, ["id"], list)], rows);
    }

    /// <summary>One <c>append</c> insert run of <paramref name="rows"/> rows with ids 1…rows.</summary>
    public static ChangeBatch InsertRun(int rows = RunRows)
    {
        var columns = Columns.Select(_ => new ColumnVector(rows)).ToArray();
        var rowids = new long[rows];
        Span<byte> utf8 = stackalloc byte[32];
        for (int i = 0; i < rows; i++)
        {
            rowids[i] = i + 1;
            columns[0].AddInt64(i + 1);
            int n = System.Text.Encoding.UTF8.GetBytes(Device(i), utf8);
            columns[1].AddText(utf8[..n]);
            columns[2].AddInt64(Ts(i));
            columns[3].AddDouble(Value(i));
        }

        var run = new InsertRun(Site, Hlc.From(1_765_000_000_000, 0), 1, rowids, rows, columns);
        return Batch([new TableChangeSet("t", Columns, ["id"], [], [run])], rows);
    }

    private static ChangeBatch Batch(IReadOnlyList<TableChangeSet> tables, int rows) =>
        new(Site, VersionVector.From([new(Site, 2L * rows), new("hub", rows)]), [new OriginRange(Site, 0, 2L * rows)], tables);
}
