using System.Net;
using System.Text;
using System.Text.Json;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeSync.Agent.Tests.Security;

public sealed class IngestAuthenticationTests
{
    private const string Token = "s3cr3t-token-for-tests-0123456789";
    private const string Row = """[{"id": "i1", "name": "bolt"}]""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Dictionary<string, string?> TokenSettings(TempDir dir)
    {
        string path = Path.Combine(dir.Path, "token");
        File.WriteAllText(path, Token + "\n");
        return new() { ["EdgeSync:Auth:TokenFile"] = path };
    }

    [Fact]
    public async Task Ingest_WithoutOrWithAWrongToken_Is401WithProblemDetailsAndAChallenge_WithTheToken_IsAccepted()
    {
        using var dir = new TempDir();
        var logs = new LogCollector();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "auth-token", settings: TokenSettings(dir), logs: logs);
        var rejected = a.Metric("edgesync_ingest_rejected");
        var ct = TestContext.Current.CancellationToken;

        using var missing = await a.Http.PostAsync("/v1/tables/items/rows", Json(Row), ct);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/tables/items/rows") { Content = Json(Row) };
        wrong.Headers.Authorization = new("Bearer", Token + "x");
        using var wrongResponse = await a.Http.SendAsync(wrong, ct);
        Assert.Equal(0L, AppDb.Count(a.DbPath, "items"));
        using var right = new HttpRequestMessage(HttpMethod.Post, "/v1/tables/items/rows") { Content = Json(Row) };
        right.Headers.Authorization = new("Bearer", Token);
        using var rightResponse = await a.Http.SendAsync(right, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        }

        Assert.Equal("Bearer", Assert.Single(missing.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Contains("invalid_token", wrongResponse.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal(1L, AppDb.Count(a.DbPath, "items"));
        Assert.True(rejected.SumTags("reason=unauthenticated") >= 2, rejected.Dump());
        Assert.True(logs.Has(2802, "missing_credentials") && logs.Has(2802, "invalid_token"), logs.Dump());
    }

    [Fact]
    public async Task ProbesAndMetrics_StayOpen_WhenIngestNeedsAToken()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "auth-open-probes", settings: TokenSettings(dir));
        var ct = TestContext.Current.CancellationToken;

        using var live = await a.Http.GetAsync("/healthz/live", ct);
        using var ready = await a.Http.GetAsync("/healthz/ready", ct);
        using var metrics = await a.Http.GetAsync("/metrics", ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task GrpcIngest_WithoutTheToken_IsUnauthenticated_WithIt_IsAccepted()
    {
        using var dir = new TempDir();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "auth-grpc", settings: TokenSettings(dir));
        using var channel = GrpcChannel.ForAddress(a.Url);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var ct = TestContext.Current.CancellationToken;
        var request = new IngestRequest { Table = "items", RowsJson = Row };

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.IngestAsync(request, cancellationToken: ct));
        var reply = await client.IngestAsync(request, new Metadata { { "authorization", "Bearer " + Token } }, cancellationToken: ct);

        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(1, reply.Rows);
        Assert.Equal(1L, AppDb.Count(a.DbPath, "items"));
    }

    [Fact]
    public async Task Ingest_OverHttps_AcceptsAFleetClientCertificate_AndRefusesAnAnonymousCaller()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(),
            listen: "https://127.0.0.1:0", httpListen: "https://127.0.0.1:0");
        using var cert = fleet.Issue("f1/app").Load();
        using var withCert = TlsClients.Http(a.HttpUrl, cert, fleet.Authority);
        using var anonymous = TlsClients.Http(a.HttpUrl, null, fleet.Authority);
        var ct = TestContext.Current.CancellationToken;

        using var accepted = await withCert.PostAsync("/v1/tables/items/rows", Json(Row), ct);
        using var refused = await anonymous.PostAsync("/v1/tables/items/rows", Json("""[{"id": "i2", "name": "nut"}]"""), ct);
        using var probe = await anonymous.GetAsync("/healthz/ready", ct);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Equal(1L, AppDb.Count(a.DbPath, "items"));
    }

    [Fact]
    public async Task AnOpenAgent_WarnsAtStartThatIngestIsUnauthenticated_AndStillAcceptsRows()
    {
        using var dir = new TempDir();
        var logs = new LogCollector();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "auth-none", logs: logs);

        using var response = await a.Http.PostAsync("/v1/tables/items/rows", Json(Row), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(logs.Lines, l => l.EventId == 2803 && l.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }
}
