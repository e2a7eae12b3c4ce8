using System.Net;
using System.Text;
using System.Text.Json;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Lifecycle;

public sealed class AckLevelTests
{
    [Fact]
    public async Task Ingest_AckReplicas1_AnswersOnlyOnceThePeerHoldsTheRows()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "f1/edge-1");
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/edge-0", peers: [b.Url]);

        using var response = await a.Http.PostAsync("/v1/tables/readings/rows?ack=replicas:1", Readings(1, 3), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3L, AppDb.Count(b.DbPath, "readings")); // already there when the answer came
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("replicas:1", body.RootElement.GetProperty("ack").GetString());
        Assert.Equal(["f1/edge-1"], body.RootElement.GetProperty("heldBy").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Ingest_AckReplicas1_WithThePeerDown_Answers504SayingHowFarTheRowsGot_AndKeepsThem()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/edge-0", peers: [TestAgent.DeadUrl()]);

        using var response = await a.Http.PostAsync("/v1/tables/readings/rows?ack=replicas:1&ackTimeoutMs=1000", Readings(1, 2), ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var p = problem.RootElement;
        Assert.Equal(2, p.GetProperty("rows").GetInt32());
        Assert.Equal("replicas:1", p.GetProperty("ack").GetString());
        Assert.Equal(0, p.GetProperty("replicasHolding").GetInt32());
        Assert.False(p.GetProperty("hubHolds").GetBoolean());
        Assert.Equal("f1/edge-0", p.GetProperty("origin").GetString());
        Assert.Contains("stay written", p.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2L, AppDb.Count(a.DbPath, "readings"));

        string metrics = await a.Http.GetStringAsync("/metrics", ct);
        Assert.Contains("edgesync_ack_wait_seconds_count{", metrics, StringComparison.Ordinal);
        Assert.Contains("result=\"timeout\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_AckHub_AnswersOnceTheHubHoldsTheRows_AndTimesOutWhileTheHubIsDown()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var hq = await TestAgent.StartAsync(dir.Db("hq"), "hq/hub", role: AgentRole.Hub);
        await using var f = await TestAgent.StartAsync(dir.Db("f"), "f1/edge-0", hub: hq.Url);
        try
        {
            using var held = await f.Http.PostAsync("/v1/tables/readings/rows?ack=hub", Readings(1, 5), ct);
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
            Assert.Equal(5L, AppDb.Count(hq.DbPath, "readings"));
            await Eventually.TrueAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await f.Http.GetStringAsync("/metrics", ct),
                    "edgesync_ack_lag_changes\\{[^}]*level=\"hub\"[^}]*\\} 0\\b"),
                "the hub level's lag gauge shows 0 once the hub holds everything");
        }
        finally
        {
            await hq.DisposeAsync();
        }

        using var late = await f.Http.PostAsync("/v1/tables/readings/rows?ack=hub&ackTimeoutMs=1000", Readings(6, 5), ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode);
        using var problem = JsonDocument.Parse(await late.Content.ReadAsStringAsync(ct));
        Assert.False(problem.RootElement.GetProperty("hubHolds").GetBoolean());
        Assert.Equal(5, problem.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(10L, AppDb.Count(f.DbPath, "readings"));
        await Eventually.TrueAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await f.Http.GetStringAsync("/metrics", ct),
                "edgesync_ack_lag_changes\\{[^}]*level=\"hub\"[^}]*\\} 5\\b"),
            "the hub level's lag gauge shows the 5 changes the hub lacks");
    }

    [Fact]
    public async Task GrpcIngest_AckReplicas1_RepliesOncePeerHoldsTheRows_AndDeadlineExceededWhileItIsDown()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        var b = await TestAgent.StartAsync(dir.Db("b"), "f1/edge-1");
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/edge-0", peers: [b.Url]);
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(a.Url);
        var client = new EdgeSync.Agent.Protocol.V1.Sync.SyncClient(channel);
        const string Rows = """[{"id": 1, "device": "d", "ts": 1}, {"id": 2, "device": "d", "ts": 2}]""";
        try
        {
            var reply = await client.IngestAsync(
                new EdgeSync.Agent.Protocol.V1.IngestRequest { Table = "readings", RowsJson = Rows, Ack = "replicas:1" }, cancellationToken: ct);
            Assert.Equal(2, reply.Rows);
            Assert.Equal(["f1/edge-1"], reply.HeldBy);
            Assert.Equal(2L, AppDb.Count(b.DbPath, "readings"));
        }
        finally
        {
            await b.DisposeAsync();
        }

        var late = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await client.IngestAsync(
            new EdgeSync.Agent.Protocol.V1.IngestRequest
            {
                Table = "readings", RowsJson = """[{"id": 3, "device": "d", "ts": 3}]""", Ack = "replicas:1", AckTimeoutMs = 800,
            },
            cancellationToken: ct));
        Assert.Equal(global::Grpc.Core.StatusCode.DeadlineExceeded, late.StatusCode);
        Assert.Contains("stay written", late.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(3L, AppDb.Count(a.DbPath, "readings"));
    }

    [Theory]
    [InlineData("replicas:0", "replicas:N")]
    [InlineData("quorum", "replicas:N")]
    public async Task Ingest_WithAnAckLevelItCannotGive_Is400_AndWritesNothing(string ack, string says)
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/edge-0");

        using var response = await a.Http.PostAsync($"/v1/tables/readings/rows?ack={ack}", Readings(1, 1), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "readings"));
    }

    internal static StringContent Readings(long first, int count) =>
        new("[" + string.Join(", ", Enumerable.Range(0, count).Select(i => $$"""{"id": {{first + i}}, "device": "d", "ts": {{first + i}}, "value": 1.5}""")) + "]",
            Encoding.UTF8, "application/json");
}
