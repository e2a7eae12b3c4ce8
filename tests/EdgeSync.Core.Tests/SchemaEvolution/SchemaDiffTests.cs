using EdgeSync.Schema;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>What a schema change means for sync, as a pure function of the recorded and the live table.</summary>
public sealed class SchemaDiffTests
{
    private static readonly TableInfo Settings = new("settings", 3, TablePolicy.Lww, CaptureMode.Trigger, ["k", "v", "unit"], [0])
    {
        DeclaredTypes = ["TEXT", "TEXT", "TEXT"],
    };

    private static SchemaReader.TableShape Live(string[] columns, string[] types, int[]? key = null, CaptureMode mode = CaptureMode.Trigger) =>
        new("settings", columns, key ?? [0], mode, types);

    [Fact]
    public void AddColumn_IsCarried_KeepsPositions_AndBumpsTheVersion()
    {
        var change = SchemaDiff.Compare(Settings, Live(["k", "v", "unit", "note"], ["TEXT", "TEXT", "TEXT", "TEXT"]), null);

        Assert.Null(change.Next.Drift);
        Assert.Equal(["note"], change.Added);
        Assert.Empty(change.Dropped);
        Assert.Equal(2, change.Next.SchemaVersion);
        Assert.Equal(3, change.Next.LegacyClockWidth);
        Assert.True(SchemaDiff.KeepsPositions(Settings, change.Next));
    }

    [Fact]
    public void RenameColumn_IsADropPlusAnAdd_AndMovesNoOtherColumn()
    {
        var change = SchemaDiff.Compare(Settings, Live(["k", "value", "unit"], ["TEXT", "TEXT", "TEXT"]), null);

        Assert.Null(change.Next.Drift);
        Assert.Equal(["value"], change.Added);
        Assert.Equal(["v"], change.Dropped);
        Assert.Equal(["v"], change.Next.DroppedColumns);
        Assert.False(SchemaDiff.KeepsPositions(Settings, change.Next));
    }

    [Fact]
    public void RebuildWithAnotherType_IsCarried_AsRetyped()
    {
        var change = SchemaDiff.Compare(Settings, Live(["k", "v", "unit"], ["text", "INTEGER", "TEXT"]), null);

        Assert.Null(change.Next.Drift);
        Assert.Equal(["v"], change.Retyped); // "text" is TEXT: the case of a type does not matter
    }

    [Fact]
    public void ReaddingADroppedColumn_TakesItOffTheDroppedList()
    {
        var dropped = Settings with { Columns = ["k", "v"], DeclaredTypes = ["TEXT", "TEXT"], DroppedColumns = ["unit"] };

        var change = SchemaDiff.Compare(dropped, Live(["k", "v", "unit"], ["TEXT", "TEXT", "TEXT"]), null);

        Assert.Empty(change.Next.DroppedColumns);
    }

    [Theory]
    [InlineData("dropped")]
    [InlineData("renamed")]
    [InlineData("key-changed")]
    [InlineData("kind-changed")]
    public void TableLevelChanges_StopSyncOfThatTable_WithWhatToDo(string what)
    {
        var change = what switch
        {
            "dropped" => SchemaDiff.Compare(Settings, null, null),
            "renamed" => SchemaDiff.Compare(Settings, null, "settings_v2"),
            "key-changed" => SchemaDiff.Compare(Settings, Live(["k", "v", "unit"], ["TEXT", "TEXT", "TEXT"], key: [0, 1]), null),
            _ => SchemaDiff.Compare(Settings, Live(["k", "v", "unit"], ["TEXT", "TEXT", "TEXT"], mode: CaptureMode.RowidScan), null),
        };

        var drift = Assert.IsType<SchemaDrift>(change.Next.Drift);
        Assert.Equal(what == "kind-changed" ? "key-changed" : what, drift.Change);
        Assert.Contains("settings", drift.Detail, StringComparison.Ordinal);
        Assert.NotEmpty(drift.Remedy);
        Assert.Equal(Settings.Columns, change.Next.Columns); // what sync knows of the table is kept for when it is resolved
    }
}
