using EdgeSync.Agent.Tests.Support;
using EdgeSync.Diagnostics;
using EdgeSync.Verify;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace EdgeSync.Agent.Tests.Verify;

/// <summary>
/// Anti-entropy in a running agent: when both replicas hold the same changes, their content is compared periodically;
/// a row changed behind EdgeSync's back (its capture trigger dropped) shows in <c>edgesync_divergence</c> and in the
/// status the database records, and both clear once the rows agree again.
/// </summary>
public sealed class DivergenceMonitorTests
{
    private static readonly Dictionary<string, string?> FastChecks = new() { ["EdgeSync:DivergenceCheckMinutes"] = "0.005" }; // 0.3 s

    [Fact]
    public async Task RowChangedBehindEdgeSyncsBack_SetsDivergence_AndClearsWhenTheRowsAgreeAgain()
    {
        using var dir = new TempDir();
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "verify-b", settings: FastChecks);
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "verify-a", peers: [b.Url], settings: FastChecks);
        using var divergence = new MetricCollector<long>(a.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            EdgeSyncMetrics.MeterName, "edgesync_divergence");
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name, qty) VALUES ('bolt', 'Bolt M6', 10), ('nut', 'Nut M6', 20)");
        await Eventually.TrueAsync(() => AppDb.Count(b.DbPath, "items") == 2, "the items to reach b");

        await Eventually.TrueAsync(() => Rows(divergence, "items") == 0, "a content check that finds items identical",
            diagnostics: () => Dump(divergence));

        // A write sync cannot see: capture muted the way EdgeSync mutes it for its own writes, in one transaction.
        AppDb.Exec(b.DbPath, "BEGIN; INSERT INTO _edgesync_ctx(k) VALUES (1); UPDATE items SET qty = 11 WHERE id = 'bolt'; DELETE FROM _edgesync_ctx; COMMIT;");

        await Eventually.TrueAsync(() => Rows(divergence, "items") == 1, "edgesync_divergence{table=items} to show the one differing row",
            diagnostics: () => Dump(divergence));
        var report = Assert.Single(a.Db.Divergences);
        Assert.Equal("verify-b", report.Peer);
        Assert.Equal(["table items, 1 row differs"], report.Tables);
        Assert.Equal(0, Rows(divergence, "settings"));

        AppDb.Exec(b.DbPath, "UPDATE items SET qty = 10 WHERE id = 'bolt'");

        await Eventually.TrueAsync(() => Rows(divergence, "items") == 0, "edgesync_divergence{table=items} back at 0", diagnostics: () => Dump(divergence));
        await Eventually.TrueAsync(() => a.Db.Divergences.Count == 0, "the recorded divergence to clear");
    }

    [Fact]
    public async Task DigestCall_RefusesMalformedAndOversizedBucketRequests_AndServesAValidOne()
    {
        using var dir = new TempDir();
        await using var agent = await TestAgent.StartAsync(dir.Db("agent"), "digest-agent");
        using var peer = new RawPeer(agent.Url, "digest-peer", dir.Db("peer"));
        AppDb.Exec(agent.DbPath, "INSERT INTO items(id, name, qty) VALUES ('bolt', 'Bolt M6', 10)");
        var ct = TestContext.Current.CancellationToken;

        var malformed = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => peer.Client.DigestAsync(new Protocol.V1.DigestRequest
        {
            SiteId = peer.Site, Buckets = Google.Protobuf.ByteString.CopyFrom(1, 200, 7),
        }, cancellationToken: ct).ResponseAsync);
        var tooMany = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => peer.Client.DigestAsync(new Protocol.V1.DigestRequest
        {
            SiteId = peer.Site,
            Buckets = Google.Protobuf.ByteString.CopyFrom(DigestCodec.Encode([new BucketRequest("items", [.. Enumerable.Range(0, 17)])])),
        }, cancellationToken: ct).ResponseAsync);
        var digest = await peer.Client.DigestAsync(new Protocol.V1.DigestRequest { SiteId = peer.Site, BucketCount = 8 }, cancellationToken: ct);

        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Equal(global::Grpc.Core.StatusCode.InvalidArgument, tooMany.StatusCode);
        var decoded = DigestCodec.DecodeDigest(digest.Digest.Span);
        Assert.Equal("digest-agent", decoded.SiteId);
        Assert.Equal(1, decoded.Tables.Single(t => t.Name == "items").RowCount);
    }

    /// <summary>The latest value of the gauge for <paramref name="table"/> (-1 when it has none yet).</summary>
    private static long Rows(MetricCollector<long> collector, string table)
    {
        collector.RecordObservableInstruments();
        var last = collector.GetMeasurementSnapshot(clear: true).LastOrDefault(m => Equals(m.Tags["table"], table));
        return last?.Value ?? -1;
    }

    private static string Dump(MetricCollector<long> collector) =>
        string.Join("; ", collector.GetMeasurementSnapshot().Select(m => string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}")) + $": {m.Value}"));
}
