using EdgeSync.Agent.Sync;
using EdgeSync.Clocks;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>Which of its own cluster's origins a factory replica asks its hub back (<see cref="RetiredOrigins"/>).</summary>
public sealed class RetiredOriginsTests
{
    private static VersionVector V(params (string Site, long Seq)[] entries) =>
        entries.Aggregate(VersionVector.Empty, (v, e) => v.With(e.Site, e.Seq));

    private const string Self = "f1/edge-0~11";

    [Fact]
    public void SiblingsEarlierIncarnation_HeldOnlyByTheHub_IsAskedBack()
    {
        var reclaim = RetiredOrigins.ToReclaim(Self, V(("f1/edge-1", 3)), V(("f1/edge-1", 103), ("f1/edge-1~22", 5)), [("f1/edge-1~22", V(("f1/edge-1~22", 5)))]);

        Assert.Equal(["f1/edge-1"], reclaim);
    }

    [Fact]
    public void LiveSiblingsOwnOrigin_IsNotAskedBack_ItsSiblingsBringIt()
    {
        var reclaim = RetiredOrigins.ToReclaim(Self, V(), V(("f1/edge-1~22", 5)), [("f1/edge-1~22", V(("f1/edge-1~22", 5)))]);

        Assert.Empty(reclaim);
    }

    [Fact]
    public void ASiblingHoldsMoreOfTheRetiredOrigin_ItIsNotAskedBack_TheSiblingSendsItWithEveryTable()
    {
        var reclaim = RetiredOrigins.ToReclaim(Self, V(("f1/edge-1", 3)), V(("f1/edge-1", 103)),
            [("f1/edge-1~22", V()), ("f1/edge-2", V(("f1/edge-1", 50)))]);

        Assert.Empty(reclaim);
    }

    [Fact]
    public void OtherClustersOrigins_UnknownReplicas_AndItsOwnLineage_AreNotAskedBack()
    {
        var hub = V(("f2/edge-1", 9), ("f1/edge-7", 4), ("f1/edge-0", 6), ("hq/edge-0", 2));

        var reclaim = RetiredOrigins.ToReclaim(Self, V(), hub, [("f2/edge-1~5", V()), ("f1/edge-1", V())]);

        // f2's: another cluster; f1/edge-7: no current replica of that name (it may be a sibling not heard from yet);
        // f1/edge-0: this replica's own earlier incarnation, which the hub sends anyway (DirectionFilter.OwnLineage).
        Assert.Empty(reclaim);
    }

    [Fact]
    public void TheBoardsEntryOfAnEarlierIncarnation_DoesNotHideTheCurrentOne()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        var board = new[]
        {
            new PeerStatus("f1/edge-1") { Vector = V(("f1/edge-1", 103)), LastSeen = now.AddMinutes(-10) },
            new PeerStatus("f1/edge-1~22") { Vector = V(("f1/edge-1~22", 5)), LastSeen = now },
        };

        var current = RetiredOrigins.Current(board).ToList();

        Assert.Equal(["f1/edge-1~22"], current.Select(c => c.Site));
        Assert.Equal(5, current[0].Vector["f1/edge-1~22"]);
        Assert.Equal(["f1/edge-1"], RetiredOrigins.ToReclaim(Self, V(), V(("f1/edge-1", 103)), current));
    }
}
