using System.Text.Json;
using EdgeSync.Agent;
using EdgeSync.Agent.Tests.Support;

namespace EdgeSync.Console.Tests.Api;

/// <summary>
/// A factory replica that does not talk to the hub itself (only its sibling does, as in the demo) still shows in the hub's
/// console: its sibling reports the replicas of its cluster to the hub, with its own capture heartbeat.
/// </summary>
public sealed class RelayedReplicaTests
{
    [Fact]
    public async Task TheHub_ShowsAReplicaThatDoesNotDialIt_AsItsSiblingReports_AndSeesItCut()
    {
        using var dir = new TempDir();
        await using var hub = await TestAgent.StartAsync(dir.Db("hq"), "hq", role: AgentRole.Hub);
        await using var edge0 = await TestAgent.StartAsync(dir.Db("f1-0"), "factory-001/sqlite-edge-0", hub: hub.Url);
        var edge1 = await TestAgent.StartAsync(dir.Db("f1-1"), "factory-001/sqlite-edge-1", peers: [edge0.Url]);
        try
        {
            JsonElement root = default;
            await Eventually.TrueAsync(async () =>
            {
                root = await FleetApiTests.GetJsonAsync(hub.Http, "/v1/fleet");
                return Replica(root, "factory-001/sqlite-edge-1") is { } r && r.GetProperty("state").GetString() == "ok"
                    && Replica(root, "factory-001/sqlite-edge-0")?.GetProperty("captureHeartbeatAgeSeconds").ValueKind == JsonValueKind.Number;
            }, "the hub shows edge-1, which only edge-0 talks to, and edge-0's own report", diagnostics: () => root.ToString());

            var relayed = Replica(root, "factory-001/sqlite-edge-1")!.Value;
            Assert.Equal("factory-001/sqlite-edge-0", relayed.GetProperty("via").GetString());
            Assert.Equal("in", relayed.GetProperty("link").GetString()); // edge-1 dials edge-0
            Assert.Equal(JsonValueKind.Null, relayed.GetProperty("url").ValueKind);
            var reporter = Replica(root, "factory-001/sqlite-edge-0")!.Value;
            Assert.Equal(JsonValueKind.Null, reporter.GetProperty("via").ValueKind);
            Assert.Equal("in", reporter.GetProperty("link").GetString()); // first-hand: it dials the hub
            Assert.Empty(root.GetProperty("problems").EnumerateArray());

            // edge-1 stops: edge-0 reports it cut, and the hub lists the problem.
            await edge1.DisposeAsync();
            await Eventually.TrueAsync(async () =>
            {
                root = await FleetApiTests.GetJsonAsync(hub.Http, "/v1/fleet");
                return Replica(root, "factory-001/sqlite-edge-1")?.GetProperty("state").GetString() == "cut"
                    && root.GetProperty("problems").EnumerateArray().Any(p => p.GetProperty("site").GetString() == "factory-001/sqlite-edge-1"
                        && p.GetProperty("alert").GetString() == "EdgeSyncPeerUnreachable");
            }, "the hub shows edge-1 cut, as edge-0 reports, with the problem", diagnostics: () => root.ToString());
            Assert.Equal("cut", root.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "factory-001")
                .GetProperty("state").GetString());
        }
        finally
        {
            await edge1.DisposeAsync();
        }

        // edge-0 stops too: its report ends with its conversation, so the hub no longer shows edge-1 at all.
        await edge0.DisposeAsync();
        await Eventually.TrueAsync(async () =>
        {
            var root = await FleetApiTests.GetJsonAsync(hub.Http, "/v1/fleet");
            return Replica(root, "factory-001/sqlite-edge-1") is null && Replica(root, "factory-001/sqlite-edge-0")?.GetProperty("state").GetString() == "cut";
        }, "the hub forgets what edge-0 reported once it is gone");
    }

    private static JsonElement? Replica(JsonElement root, string site) =>
        root.GetProperty("clusters").EnumerateArray().SelectMany(c => c.GetProperty("replicas").EnumerateArray())
            .Where(r => r.GetProperty("site").GetString() == site).Select(r => (JsonElement?)r).FirstOrDefault();
}
