using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Storage;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>Row clocks across an ADD COLUMN: no per-row rewrite, and a column added later reads as never written.</summary>
public sealed class ClockCodecWidthTests
{
    private static readonly string[] Sites = ["", "a", "b"];
    private static readonly CellClock Insert = new(Hlc.From(1_000, 0), "a", 1, Hlc.Zero, "");
    private static readonly CellClock Update = new(Hlc.From(2_000, 0), "b", 7, Hlc.From(1_000, 0), "a");

    private static int Index(string site) => Array.IndexOf(Sites, site);

    private static string Name(int index) => Sites[index];

    [Fact]
    public void Blob_ReadWithMoreColumns_ThanItWasWrittenWith_GivesUnwrittenClocksForTheNewOnes()
    {
        var blob = ClockCodec.Encode([Insert, Update, Insert], Index, new ByteWriter());

        var clocks = ClockCodec.Decode(blob, 5, Name);

        Assert.Equal([Insert, Update, Insert, CellClock.Unwritten, CellClock.Unwritten], clocks);
    }

    [Fact]
    public void BlobWithOneClock_ReadWithMoreColumns_DoesNotGiveTheRowsClockToTheNewColumns()
    {
        // A row whose every column was written at once: the added column did not exist then, so it must not carry that
        // write's clock (it would beat an older write of the column made at a replica that had it).
        var blob = ClockCodec.Encode([Update, Update], Index, new ByteWriter());

        var clocks = ClockCodec.Decode(blob, 3, Name);

        Assert.Equal([Update, Update, CellClock.Unwritten], clocks);
    }

    [Fact]
    public void FirstFormatBlob_IsReadWithTheTablesLegacyWidth()
    {
        // The format before columns could be added: distinct clocks, then the column map, and no width.
        var w = new ByteWriter();
        w.WriteVarUInt(2);
        foreach (var c in new[] { Insert, Update })
        {
            w.WriteInt64(c.Hlc.Value);
            w.WriteVarUInt((uint)Index(c.Site));
            w.WriteVarUInt((ulong)c.Seq);
            w.WriteInt64(c.PrevHlc.Value);
            w.WriteVarUInt((uint)Index(c.PrevSite));
        }

        w.WriteVarUInt(0);
        w.WriteVarUInt(1);

        var clocks = ClockCodec.Decode(w.ToArray(), 4, Name, legacyWidth: 2);

        Assert.Equal([Insert, Update, CellClock.Unwritten, CellClock.Unwritten], clocks);
    }

    [Fact]
    public void Unwritten_OrdersBeforeEveryWrite()
    {
        Assert.True(CellClock.Unwritten < Insert);
        Assert.True(CellClock.Unwritten.IsUnwritten);
        Assert.False(Insert.IsUnwritten);
    }
}
