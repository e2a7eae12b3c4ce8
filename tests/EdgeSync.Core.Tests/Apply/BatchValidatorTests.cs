using EdgeSync.Apply;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;

namespace EdgeSync.Tests.Apply;

/// <summary>The batch checks as a pure function: no database, only a table description, floors and a time.</summary>
public sealed class BatchValidatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static readonly TableInfo Items = new("items", 1, TablePolicy.Lww, CaptureMode.Trigger, ["id", "name", "qty"], [0]);

    private static TableInfo? Find(string name) => string.Equals(name, "items", StringComparison.OrdinalIgnoreCase) ? Items : null;

    private static ChangeBatch Batch(IReadOnlyList<string> columns, object?[] values, long atMs, string table = "items", VersionVector? sender = null)
    {
        var clock = new CellClock(Hlc.From(atMs, 0), "b", 1, Hlc.Zero, "");
        var state = RowState.Alive(1, values, Enumerable.Repeat(clock, values.Length).ToArray());
        var set = new TableChangeSet(table, columns, ["id"], [new RowChange([values[columns.ToList().FindIndex(c => string.Equals(c, "id", StringComparison.OrdinalIgnoreCase))]], state)]);
        return new ChangeBatch("b", sender ?? VersionVector.Empty.With("b", 1), [new OriginRange("b", 0, 1)], [set]);
    }

    private static IReadOnlyList<(TableInfo Table, int[] Map)> Validate(ChangeBatch batch, params KeyValuePair<string, long>[] floors) =>
        BatchValidator.Validate(batch, Find, floors, Now, TimeSpan.FromMinutes(5));

    [Fact]
    public void Validate_ColumnsInAnotherOrder_MapsThemToLocalColumns()
    {
        var plan = Assert.Single(Validate(Batch(["qty", "ID", "name"], [3L, 7L, "bolt"], Now.ToUnixTimeMilliseconds())));

        Assert.Same(Items, plan.Table);
        Assert.Equal([2, 0, 1], plan.Map);
    }

    [Fact]
    public void Validate_TableNotSyncedHere_RefusesNamingIt()
    {
        var e = Assert.Throws<InvalidBatchException>(() => Validate(Batch(["id", "name", "qty"], [7L, "bolt", 3L], Now.ToUnixTimeMilliseconds(), "orders")));

        Assert.Contains("'orders'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ColumnNotHere_IsMappedAside_AndAColumnTheSenderLacksIsLeftOut()
    {
        // A sender at another schema version: it has "price", which this replica has not added yet, and lacks "qty".
        var plan = Assert.Single(Validate(Batch(["id", "name", "price"], [7L, "bolt", 3L], Now.ToUnixTimeMilliseconds())));

        Assert.Equal([0, 1, -1], plan.Map);
    }

    [Fact]
    public void Validate_ColumnWithAnotherDeclaredType_IsMappedAside()
    {
        var typed = Items with { DeclaredTypes = ["INTEGER", "TEXT", "INTEGER"] };
        var batch = Batch(["id", "name", "qty"], [7L, "bolt", 3L], Now.ToUnixTimeMilliseconds());
        var set = batch.Tables[0];
        var withTypes = new TableChangeSet(set.Table, set.Columns, set.KeyColumns, [.. set.Rows]) { ColumnTypes = ["integer", "TEXT", "REAL"] };
        batch = new ChangeBatch(batch.Sender, batch.SenderVector, batch.Ranges, [withTypes]);

        var plan = Assert.Single(BatchValidator.Validate(batch, _ => typed, [], Now, TimeSpan.FromMinutes(5)));

        Assert.Equal([0, 1, -1], plan.Map); // "integer" is INTEGER (case does not matter); REAL is not
    }

    [Fact]
    public void Validate_KeyColumnMissing_Refuses()
    {
        var clock = new CellClock(Hlc.From(Now.ToUnixTimeMilliseconds(), 0), "b", 1, Hlc.Zero, "");
        var set = new TableChangeSet("items", ["code", "name"], ["code"], [new RowChange([7L], RowState.Alive(1, [7L, "bolt"], [clock, clock]))]);
        var batch = new ChangeBatch("b", VersionVector.Empty.With("b", 1), [new OriginRange("b", 0, 1)], [set]);

        var e = Assert.Throws<InvalidBatchException>(() => Validate(batch));

        Assert.Contains("primary key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ColumnNamedTwice_RefusesNamingIt()
    {
        var e = Assert.Throws<InvalidBatchException>(() => Validate(Batch(["id", "name", "NAME"], [7L, "bolt", "nut"], Now.ToUnixTimeMilliseconds())));

        Assert.Contains("'NAME' twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeyValueDiffersFromKeyColumn_Refuses()
    {
        var clock = new CellClock(Hlc.From(Now.ToUnixTimeMilliseconds(), 0), "b", 1, Hlc.Zero, "");
        var state = RowState.Alive(1, [7L, "bolt", 3L], [clock, clock, clock]);
        var set = new TableChangeSet("items", ["id", "name", "qty"], ["id"], [new RowChange([8L], state)]);
        var batch = new ChangeBatch("b", VersionVector.Empty.With("b", 1), [new OriginRange("b", 0, 1)], [set]);

        Assert.Throws<InvalidBatchException>(() => Validate(batch));
    }

    [Fact]
    public void Validate_ClockJustWithinDrift_Passes_AndBeyondIt_Refuses()
    {
        long limit = (Now + TimeSpan.FromMinutes(5)).ToUnixTimeMilliseconds();

        Assert.Single(Validate(Batch(["id", "name", "qty"], [7L, "bolt", 3L], limit)));
        var e = Assert.Throws<InvalidBatchException>(() => Validate(Batch(["id", "name", "qty"], [7L, "bolt", 3L], limit + 1)));
        Assert.Contains("ahead of this replica's clock", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SenderVectorBelowCompactionFloor_IsStale()
    {
        var batch = Batch(["id", "name", "qty"], [7L, "bolt", 3L], Now.ToUnixTimeMilliseconds(), sender: VersionVector.Empty.With("b", 1).With("c", 4));

        Assert.Single(Validate(batch, KeyValuePair.Create("c", 4L)));
        var e = Assert.Throws<SyncStateException>(() => Validate(batch, KeyValuePair.Create("c", 5L)));
        Assert.Equal(ErrorCode.StaleBatch, e.Code);
    }

    [Fact]
    public void Validate_SenderDisclaimedEventsItHeldUpToTheFloor_IsTaken_AndOnlyThen()
    {
        // The sender held c up to 6, then disclaimed from 3 on (its vector fell to 2): its row states still reflect 1..6.
        var sender = VersionVector.Empty.With("b", 1).With("c", 2);
        var batch = Batch(["id", "name", "qty"], [7L, "bolt", 3L], Now.ToUnixTimeMilliseconds(), sender: sender);
        ChangeBatch Announcing(params OriginRange[] disclaimed) => new(batch.Sender, batch.SenderVector, batch.Ranges, batch.Tables) { Disclaimed = disclaimed };

        Assert.Single(Validate(Announcing(new OriginRange("c", 2, 6)), KeyValuePair.Create("c", 6L)));
        // Still refused: held less than the floor; a range of another origin; a disclaim above what the vector holds
        // (events 3..4 it never held: its states may be older than a tombstone this replica dropped).
        foreach (var announced in new[] { new OriginRange("c", 2, 5), new OriginRange("d", 2, 6), new OriginRange("c", 4, 6) })
        {
            var e = Assert.Throws<SyncStateException>(() => Validate(Announcing(announced), KeyValuePair.Create("c", 6L)));
            Assert.Equal(ErrorCode.StaleBatch, e.Code);
        }
    }
}
