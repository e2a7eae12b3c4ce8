using EdgeSync.Agent.Security;
using EdgeSync.Clocks;
using EdgeSync.Merge;
using EdgeSync.Protocol;

namespace EdgeSync.Agent.Tests.Security;

/// <summary>
/// <see cref="BatchAuthorizer"/> given the hub's current site id: a factory may send back the changes of the hub's
/// earlier incarnations (its files were put back), in any table, and nothing else outside its own cluster.
/// </summary>
public sealed class HubLineageAuthorizerTests
{
    private const string Current = "hq/edge-0~42";
    private static readonly string[] Columns = ["id", "name", "cluster_id"];

    private static readonly Dictionary<string, TableRule> Rules = new()
    {
        ["items"] = new(SyncDirection.Both, "cluster_id"),
        ["settings"] = new(SyncDirection.Down, null),
    };

    private static CellClock Clock(string site, long seq, long ms = 1_000) => new(new Hlc(ms << 16), site, seq, default, "");

    private static RowChange Row(object id, string owner, params CellClock[] clocks) =>
        new([id], RowState.Alive(1, ["x", "name", owner], clocks.Length == 1 ? [clocks[0], clocks[0], clocks[0]] : clocks));

    private static ChangeBatch Batch(string table, RowChange row, params OriginRange[] ranges) =>
        new("f1/edge-0", VersionVector.Empty, ranges, [new TableChangeSet(table, Columns, ["id"], [row])]);

    private static IReadOnlyList<Violation> Check(ChangeBatch batch, VersionVector? hubVector = null, string? hubSite = Current) =>
        BatchAuthorizer.Authorize(batch, "f1", t => Rules.GetValueOrDefault(t, TableRule.Open), hubVector ?? VersionVector.Empty, (_, _) => null, hubSite);

    [Theory]
    [InlineData("hq/edge-0")]
    [InlineData("hq/edge-0~7")]
    public void TheHubsEarlierIncarnation_PassesInADownTable_AndInAnotherClustersRow(string retired)
    {
        Assert.Empty(Check(Batch("settings", Row("mode", "", Clock(retired, 5)), new OriginRange(retired, 4, 5))));
        Assert.Empty(Check(Batch("items", Row("a", "f2", Clock(retired, 6)), new OriginRange(retired, 5, 6))));
        Assert.Empty(Check(new ChangeBatch("f1/edge-0", VersionVector.Empty, [new OriginRange(retired, 6, 7)],
            [new TableChangeSet("items", Columns, ["id"], [new RowChange(["a"], RowState.Deleted(2, Clock(retired, 7)))])])));
    }

    [Fact]
    public void WithoutTheHubsSiteId_TheEarlierIncarnationIsRefusedAsBefore()
    {
        var violations = Check(Batch("settings", Row("mode", "", Clock("hq/edge-0", 5)), new OriginRange("hq/edge-0", 4, 5)), hubSite: null);
        Assert.Contains(violations, v => v.Rule == AuthorizationRule.Origin);
        Assert.Contains(violations, v => v.Rule == AuthorizationRule.DownTable);
    }

    [Theory]
    [InlineData(Current)]
    [InlineData(Current + "~3")]
    [InlineData("hq/edge-1")]
    [InlineData("hq/edge-1~42")]
    [InlineData("f2/edge-0")]
    public void TheHubsCurrentIdOrAnotherSite_BreaksOrigin(string origin)
    {
        var range = Check(Batch("items", Row("a", "f1", Clock("f1/edge-0", 1)), new OriginRange(origin, 4, 5)));
        Assert.Equal(AuthorizationRule.Origin, Assert.Single(range).Rule);

        var own = Clock("f1/edge-0", 1);
        var cell = Check(Batch("items", Row("a", "f1", own, Clock(origin, 5, ms: 9_000), own), new OriginRange("f1/edge-0", 0, 1)));
        Assert.Equal(AuthorizationRule.Origin, Assert.Single(cell).Rule);
    }

    [Fact]
    public void ARowOfTheHubsEarlierIncarnationCarryingAnotherClustersChangeTheHubLacks_IsRefused()
    {
        var retired = Clock("hq/edge-0", 6);
        var row = Row("a", "f2", retired, Clock("f2/edge-0", 3, ms: 2_000), retired);
        var violations = Check(Batch("items", row, new OriginRange("hq/edge-0", 5, 6)));
        Assert.Contains(violations, v => v.Rule == AuthorizationRule.Origin && v.Reason.Contains("f2/edge-0", StringComparison.Ordinal));

        // Once the hub holds that change again, the row is the hub's own write and passes.
        Assert.Empty(Check(Batch("items", row, new OriginRange("hq/edge-0", 5, 6)), VersionVector.Empty.With("f2/edge-0", 3)));
    }

    [Fact]
    public void TheSendersOwnChangeInADownTable_StillBreaksDownTable_BesideTheHubsOwnRows()
    {
        var set = new TableChangeSet("settings", Columns, ["id"],
            [Row("mode", "", Clock("hq/edge-0", 5)), Row("evil", "", Clock("hq/edge-0", 6), Clock("f1/edge-0", 9, ms: 2_000), Clock("hq/edge-0", 6))]);
        var batch = new ChangeBatch("f1/edge-0", VersionVector.Empty, [new OriginRange("hq/edge-0", 4, 6), new OriginRange("f1/edge-0", 8, 9)], [set]);
        var v = Assert.Single(Check(batch));
        Assert.Equal((AuthorizationRule.DownTable, "('evil')"), (v.Rule, v.Key));
    }

    [Fact]
    public void AnItemsEditOfTheSendersOwnRow_WithTheHubsEarlierIncarnationsCells_Passes()
    {
        // HQ's lost incarnation created the row for f1; f1 edited a column. The hub lacks both.
        var retired = Clock("hq/edge-0", 6);
        var row = Row("a", "f1", retired, Clock("f1/edge-0", 9, ms: 2_000), retired);
        Assert.Empty(Check(Batch("items", row, new OriginRange("f1/edge-0", 8, 9))));
    }
}
