using System.Net;
using System.Text;
using System.Text.Json;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Agent.Tests.Ingest;

public sealed class IngestTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Post_WithInvalidRows_Returns400ProblemDetailsListingEachProblem_AndWritesNothing()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-bad");
        const string Body = """
            [
              {"id": "ok-1", "name": "fine", "qty": 1},
              {"name": "no key"},
              {"id": "a3", "name": 5},
              {"id": "a4", "name": "x", "bogus": 1},
              {"id": "a5", "name": "y", "qty": "many"},
              {"id": "a6", "name": "z", "qty": 1.5},
              42
            ]
            """;

        using var response = await a.Http.PostAsync("/v1/tables/items/rows", Json(Body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        var errors = problem.RootElement.GetProperty("errors");
        string[] expected = ["rows[1].id", "rows[2].name", "rows[3].bogus", "rows[4].qty", "rows[5].qty", "rows[6]"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains("missing key column 'id'", errors.GetProperty("rows[1].id")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("no synced column 'bogus'", errors.GetProperty("rows[3].bogus")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "items"));
    }

    [Fact]
    public async Task Post_ToAnUnknownTable_OrWithABodyThatIsNotJson_Returns400()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-unknown");
        var ct = TestContext.Current.CancellationToken;

        using var unknown = await a.Http.PostAsync("/v1/tables/nope/rows", Json("""[{"id": 1}]"""), ct);
        using var notJson = await a.Http.PostAsync("/v1/tables/items/rows", Json("{not json"), ct);
        using var notArray = await a.Http.PostAsync("/v1/tables/items/rows", Json("""{"id": "x"}"""), ct);

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("'nope' is not synced", await unknown.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notArray.StatusCode);
    }

    [Fact]
    public async Task Post_WithAnUnknownQueryParameter_Returns400_AndWritesNothing()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-query");
        var ct = TestContext.Current.CancellationToken;

        // A user's guess at choosing the database: ignored, it wrote into the agent's first database.
        using var response = await a.Http.PostAsync("/v1/tables/items/rows?database=other", Json("""[{"id": "q1", "name": "bolt"}]"""), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("unknown query parameter 'database'", body, StringComparison.Ordinal);
        Assert.Contains("/v1/databases/{database}/tables/{table}/rows", body, StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "items"));
    }

    [Fact]
    public async Task Post_ValidRows_CommitsThemBeforeAnswering_AndTheyReachAPeer()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-ok");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "ingest-ok-peer", peers: [a.Url]);
        var ct = TestContext.Current.CancellationToken;
        string photo = Convert.ToBase64String([1, 2, 3, 255]);

        using var response = await a.Http.PostAsync("/v1/tables/items/rows",
            Json($$"""[{"id": "i1", "name": "bolt", "qty": 10}, {"id": "i2", "name": "nut", "qty": null, "photo": "{{photo}}"}, {"id": "i3", "name": "gear"}]"""), ct);
        using var readings = await a.Http.PostAsync("/v1/tables/readings/rows",
            Json("""[{"id": 1, "device": "d1", "ts": 1700000000000, "value": 1.5}, {"id": 2, "device": "d1", "ts": 1700000000001, "value": 2}]"""), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readings.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal(3, body.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(3L, AppDb.Count(a.DbPath, "items"));
        Assert.Equal(2L, AppDb.Count(a.DbPath, "readings"));
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, (byte[])AppDb.Scalar(a.DbPath, "SELECT photo FROM items WHERE id = 'i2'")!);

        await Eventually.TrueAsync(() => AppDb.Dump(b.DbPath) == AppDb.Dump(a.DbPath), "ingested rows reach the peer");
    }

    [Fact]
    public async Task Post_DuplicateKeyIntoAnAppendTable_Returns409_AndWritesNothing()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-dup");
        var ct = TestContext.Current.CancellationToken;
        using var first = await a.Http.PostAsync("/v1/tables/readings/rows", Json("""[{"id": 7, "device": "d", "ts": 1}]"""), ct);

        using var second = await a.Http.PostAsync("/v1/tables/readings/rows",
            Json("""[{"id": 8, "device": "d", "ts": 2}, {"id": 7, "device": "d", "ts": 3}]"""), ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(1L, AppDb.Count(a.DbPath, "readings"));
    }

    [Fact]
    public async Task GrpcBulkIngest_ValidatesWholeRequest_ThenCommitsAllRows()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "ingest-grpc");
        var ct = TestContext.Current.CancellationToken;
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(a.Url);
        var client = new EdgeSync.Agent.Protocol.V1.Sync.SyncClient(channel);

        var bad = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await client.IngestAsync(
            new EdgeSync.Agent.Protocol.V1.IngestRequest { Table = "items", RowsJson = """[{"id": "g1", "name": "ok"}, {"name": "no key"}]""" },
            cancellationToken: ct));
        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("missing key column 'id'", bad.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "items"));

        var reply = await client.IngestAsync(
            new EdgeSync.Agent.Protocol.V1.IngestRequest { Table = "items", RowsJson = """[{"id": "g1", "name": "ok"}, {"id": "g2", "name": "also"}]""" },
            cancellationToken: ct);
        Assert.Equal(2, reply.Rows);
        Assert.Equal(2L, AppDb.Count(a.DbPath, "items"));
    }
}
