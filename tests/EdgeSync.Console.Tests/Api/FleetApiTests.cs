using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Console.Tests.Support;

namespace EdgeSync.Console.Tests.Api;

/// <summary>The console's JSON API as a client sees it: its shape, per-cluster views, ETags, and what an agent running open serves.</summary>
public sealed class FleetApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fleet_AtTheHub_ListsEveryFactoryAndReplica_WithTheConflictItsAuditRecorded()
    {
        await using var fleet = await ConsoleFleet.StartAsync();
        JsonElement root = default;
        await Eventually.TrueAsync(async () =>
        {
            root = await GetJsonAsync(fleet.Hub.Http, "/v1/fleet");
            return Replicas(root, "factory-001").Count == 2 && Replicas(root, "factory-002").Count == 1
                && Table(root, "items").GetProperty("recentConflicts").GetInt32() >= 1;
        }, "the hub's /v1/fleet shows both factories' replicas and the conflict on item m1", diagnostics: () => root.ToString());

        var agent = root.GetProperty("agent");
        Assert.Equal("hq", agent.GetProperty("site").GetString());
        Assert.Equal("hub", agent.GetProperty("role").GetString());
        var clusters = root.GetProperty("clusters").EnumerateArray().ToList();
        Assert.Equal("hq", clusters[0].GetProperty("id").GetString()); // this agent's cluster first
        Assert.Equal("self", clusters[0].GetProperty("replicas")[0].GetProperty("state").GetString());
        Assert.Equal(["factory-001/sqlite-edge-0", "factory-001/sqlite-edge-1"], Replicas(root, "factory-001").Select(r => r.GetProperty("site").GetString()));
        foreach (var r in Replicas(root, "factory-001").Concat(Replicas(root, "factory-002")))
        {
            Assert.Equal("in", r.GetProperty("link").GetString()); // factories dial the hub
            Assert.NotEqual("cut", r.GetProperty("state").GetString());
        }

        var conflict = Table(root, "items").GetProperty("conflicts")[0];
        Assert.Equal("lww", conflict.GetProperty("rule").GetString());
        Assert.Equal("'m1'", conflict.GetProperty("key").GetString());
        Assert.Equal(["factory-001/sqlite-edge-0", "factory-002/sqlite-edge-0"],
            new[] { conflict.GetProperty("winnerSite").GetString(), conflict.GetProperty("loserSite").GetString() }.Order());

        var db = root.GetProperty("databases")[0];
        Assert.Equal("app", db.GetProperty("name").GetString());
        Assert.True(db.GetProperty("captureHeartbeatAgeSeconds").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Null, db.GetProperty("lastBackup").ValueKind); // no backups configured
        Assert.Equal(3, db.GetProperty("peerCount").GetInt32());
        Assert.All(db.GetProperty("peers").EnumerateArray(), p => Assert.False(p.GetProperty("backlog").GetInt64() == 0
            && p.GetProperty("lastError").ValueKind == JsonValueKind.Null)); // the whole fleet lists only peers that are not fine
        Assert.Empty(root.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task ClusterView_HasOnlyThatCluster_AndAnUnknownOneIs404()
    {
        await using var fleet = await ConsoleFleet.StartAsync();
        JsonElement view = default;
        await Eventually.TrueAsync(async () =>
        {
            // Until a replica of factory-001 has reported, the hub does not know the cluster (404, as for any unknown one).
            using (var probe = await fleet.Hub.Http.GetAsync("/v1/fleet/factory-001", Ct))
            {
                if (probe.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }
            }

            view = await GetJsonAsync(fleet.Hub.Http, "/v1/fleet/factory-001");
            return view.GetProperty("databases")[0].GetProperty("peers").GetArrayLength() == 2;
        }, "factory-001's view lists its two replicas as the database's peers", diagnostics: () => view.ToString());

        Assert.Equal("factory-001", Assert.Single(view.GetProperty("clusters").EnumerateArray()).GetProperty("id").GetString());
        Assert.All(view.GetProperty("databases")[0].GetProperty("peers").EnumerateArray(), p => Assert.Equal("factory-001", p.GetProperty("cluster").GetString()));
        Assert.Equal(2, view.GetProperty("databases")[0].GetProperty("peerCount").GetInt32());

        using var missing = await fleet.Hub.Http.GetAsync("/v1/fleet/factory-999", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Contains("factory-001", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fleet_WithItsETag_Is304UntilSomethingChanges()
    {
        await using var fleet = await ConsoleFleet.StartAsync();
        await Eventually.TrueAsync(async () => Replicas(await GetJsonAsync(fleet.Hub.Http, "/v1/fleet"), "factory-002").Count == 1, "the fleet is up");

        // An idle fleet serializes to the same bytes: some poll soon gets 304 (a moving heartbeat may change one in between).
        bool notModified = false;
        for (int i = 0; i < 20 && !notModified; i++)
        {
            using var first = await fleet.Hub.Http.GetAsync("/v1/fleet", Ct);
            var etag = first.Headers.ETag;
            Assert.NotNull(etag);
            Assert.False(etag.IsWeak);
            using var again = new HttpRequestMessage(HttpMethod.Get, "/v1/fleet");
            again.Headers.IfNoneMatch.Add(etag);
            using var second = await fleet.Hub.Http.SendAsync(again, Ct);
            notModified = second.StatusCode == HttpStatusCode.NotModified;
            if (notModified)
            {
                Assert.Empty(await second.Content.ReadAsByteArrayAsync(Ct));
            }
        }

        Assert.True(notModified, "no poll with the ETag just served got 304");

        // A change (factory-002 cut) is a new body with a new ETag.
        using var before = await fleet.Hub.Http.GetAsync("/v1/fleet", Ct);
        await fleet.CutFactory2Async();
        await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/fleet");
            request.Headers.IfNoneMatch.Add(before.Headers.ETag!);
            using var response = await fleet.Hub.Http.SendAsync(request, Ct);
            return response.StatusCode == HttpStatusCode.OK && response.Headers.ETag != before.Headers.ETag
                && State(JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement, "factory-002") == "cut";
        }, "the poll with the old ETag gets 200 and factory-002 cut");
    }

    [Fact]
    public async Task CutFactory_IsAProblemLinkedToItsRunbook_AndRecovers()
    {
        await using var fleet = await ConsoleFleet.StartAsync();
        await Eventually.TrueAsync(async () => State(await GetJsonAsync(fleet.Hub.Http, "/v1/fleet"), "factory-002") == "ok"
            && (await GetJsonAsync(fleet.Hub.Http, "/v1/fleet/factory-002")).GetProperty("databases").EnumerateArray().Any(d => d.GetProperty("peers").GetArrayLength() > 0),
            "factory-002 connected, and its database's vector heard by the hub");
        await fleet.CutFactory2Async();
        AppDb.Exec(fleet.Hub.DbPath, "INSERT INTO settings(key, value) VALUES ('line-speed', '42')"); // factory-002 lacks it

        JsonElement root = default;
        await Eventually.TrueAsync(async () =>
        {
            root = await GetJsonAsync(fleet.Hub.Http, "/v1/fleet/factory-002");
            return State(root, "factory-002") == "cut" && root.GetProperty("databases")[0].GetProperty("peers")[0].GetProperty("backlog").GetInt64() >= 1;
        }, "factory-002 cut, and lacking the hub's new setting", diagnostics: () => root.ToString());

        var problem = Assert.Single(root.GetProperty("problems").EnumerateArray());
        Assert.Equal("critical", problem.GetProperty("severity").GetString());
        Assert.Equal("EdgeSyncPeerUnreachable", problem.GetProperty("alert").GetString());
        Assert.Equal("factory-002/sqlite-edge-0", problem.GetProperty("site").GetString());
        Assert.Equal("docs/runbook.md#edgesyncpeerunreachable", problem.GetProperty("runbook").GetString());
        string runbook = await fleet.Hub.Http.GetStringAsync("/ui/runbook.md", Ct); // the page's copy of docs/runbook.md
        Assert.Contains("\n## EdgeSyncPeerUnreachable\n", runbook, StringComparison.Ordinal);

        await fleet.HealFactory2Async();
        await Eventually.TrueAsync(async () =>
        {
            root = await GetJsonAsync(fleet.Hub.Http, "/v1/fleet/factory-002");
            return State(root, "factory-002") == "ok" && root.GetProperty("problems").GetArrayLength() == 0
                && root.GetProperty("databases")[0].GetProperty("peers")[0].GetProperty("backlog").GetInt64() == 0;
        }, "factory-002 back, holding everything, no problem listed", diagnostics: () => root.ToString());
    }

    [Fact]
    public async Task FactoryReplica_ShowsItsClusterAndTheHub()
    {
        await using var fleet = await ConsoleFleet.StartAsync();
        JsonElement root = default;
        await Eventually.TrueAsync(async () =>
        {
            root = await GetJsonAsync(fleet.F1a.Http, "/v1/fleet");
            return Replicas(root, "factory-001").Count == 2 && State(root, "hq") == "ok";
        }, "factory-001 edge-0 sees its sibling and the hub", diagnostics: () => root.ToString());

        Assert.Equal("factory-001", root.GetProperty("agent").GetProperty("cluster").GetString());
        Assert.Equal("factory", root.GetProperty("agent").GetProperty("role").GetString());
        var hub = root.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "hq");
        Assert.Equal("hub", hub.GetProperty("role").GetString());
        Assert.Equal("out", hub.GetProperty("replicas")[0].GetProperty("link").GetString()); // this replica dials the hub
        Assert.Equal(fleet.Hub.Url, hub.GetProperty("replicas")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Page_AndAssets_AreServedFromTheAgent()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("solo"), "solo/sqlite-edge-0");
        using var page = await agent.Http.GetAsync("/ui", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<script src=\"/ui/console.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase); // no CDN
        foreach (var (path, type) in new[] { ("/ui/console.js", "text/javascript"), ("/ui/console.css", "text/css"), ("/ui/runbook.md", "text/markdown") })
        {
            using var asset = await agent.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal(type, asset.Content.Headers.ContentType?.MediaType);
            using var cached = new HttpRequestMessage(HttpMethod.Get, path);
            cached.Headers.IfNoneMatch.Add(asset.Headers.ETag!);
            using var revalidated = await agent.Http.SendAsync(cached, Ct);
            Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        }

        using var unknown = await agent.Http.GetAsync("/ui/nothing.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    internal static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }, response.Content.Headers.ContentType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    internal static List<JsonElement> Replicas(JsonElement root, string cluster) =>
        root.GetProperty("clusters").EnumerateArray().Where(c => c.GetProperty("id").GetString() == cluster)
            .SelectMany(c => c.GetProperty("replicas").EnumerateArray()).ToList();

    internal static string? State(JsonElement root, string cluster) =>
        root.GetProperty("clusters").EnumerateArray().FirstOrDefault(c => c.GetProperty("id").GetString() == cluster) is { ValueKind: JsonValueKind.Object } c
            ? c.GetProperty("state").GetString() : null;

    private static JsonElement Table(JsonElement root, string table) =>
        root.GetProperty("databases")[0].GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == table);
}
