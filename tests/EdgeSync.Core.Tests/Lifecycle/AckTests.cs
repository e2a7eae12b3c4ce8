using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Lifecycle;

public sealed class AckTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WaitForAck_TimesOutSayingHowFarTheRowsGot_ThenReturnsOnceAPeerHoldsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "f1/a");
        using var sibling = new Replica(_dir.File("b.db"), "f1/b");
        using var hub = new Replica(_dir.File("hub.db"), "hq/hub");
        a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0)");
        var ticket = a.Db.CaptureForAck(ct);
        Assert.Equal(a.Site, ticket.Origin);
        Assert.True(ticket.Sequence >= 1);

        var early = await a.Db.WaitForAckAsync(ticket, AckLevel.Replicas(1), TimeSpan.FromMilliseconds(200), ct);
        Assert.False(early.Reached);
        Assert.Empty(early.PeersHolding);
        Assert.True(a.Db.CheckAck(ticket, AckLevel.Local).Reached);

        var replica = a.Db.WaitForAckAsync(ticket, AckLevel.Replicas(1), TimeSpan.FromSeconds(30), ct);
        var atHub = a.Db.WaitForAckAsync(ticket, AckLevel.Hub, TimeSpan.FromSeconds(30), ct);
        sibling.PullFrom(a);
        a.Db.RecordPeerVector(sibling.Site, sibling.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);

        var one = await replica;
        Assert.True(one.Reached);
        Assert.Equal([sibling.Site], one.PeersHolding);
        Assert.False(atHub.IsCompleted); // a sibling is not a hub

        hub.PullFrom(a);
        a.Db.RecordPeerVector(hub.Site, hub.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        var held = await atHub;
        Assert.True(held.Reached);
        Assert.True(held.HubHolds);
        Assert.Equal(2, held.ReplicasHolding);
        Assert.True(a.Db.CheckAck(ticket, AckLevel.Replicas(2)).Reached);
        Assert.False(a.Db.CheckAck(ticket, AckLevel.Replicas(3)).Reached);
    }

    [Theory]
    [InlineData("local", "local")]
    [InlineData("replicas:2", "replicas:2")]
    [InlineData("HUB", "hub")]
    [InlineData("exported", "exported")]
    public void AckLevel_Parses(string text, string expected)
    {
        Assert.True(AckLevel.TryParse(text, out var level, out _));
        Assert.Equal(expected, level.ToString());
    }

    [Theory]
    [InlineData("replicas:0")]
    [InlineData("replicas:")]
    [InlineData("all")]
    public void AckLevel_RefusesWhatItDoesNotKnow(string text)
    {
        Assert.False(AckLevel.TryParse(text, out _, out var error));
        Assert.Contains("replicas:N", error, StringComparison.Ordinal);
    }
}
