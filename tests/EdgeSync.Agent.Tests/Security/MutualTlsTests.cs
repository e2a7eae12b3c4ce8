using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Protocol.V1;
using EdgeSync.Agent.Tests.Support;
using Grpc.Core;

namespace EdgeSync.Agent.Tests.Security;

public sealed class MutualTlsTests
{
    private const string Https = "https://127.0.0.1:0";

    [Fact]
    public async Task TwoAgents_WithCertificatesFromTheFleetCa_SyncBothWaysOverMutualTls()
    {
        using var dir = new TempDir();
        using var ca = new TestCertificates();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: ca.Issue("f1/a").Settings(), listen: Https);
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "f2/b", peers: [a.Url], settings: ca.Issue("f2").Settings(), listen: Https);

        Assert.StartsWith("https://", a.Url, StringComparison.Ordinal);
        AppDb.Exec(a.DbPath, "INSERT INTO items(id, name) VALUES ('from-a', 'x')");
        AppDb.Exec(b.DbPath, "INSERT INTO items(id, name) VALUES ('from-b', 'y')");

        await Eventually.TrueAsync(() => AppDb.Count(a.DbPath, "items") == 2 && AppDb.Count(b.DbPath, "items") == 2,
            "both rows on both agents over mTLS (b's cluster-wide certificate covers f2/b)");
    }

    [Fact]
    public async Task Peer_WithACertificateFromAnotherCa_IsRefused_WithALogLineAndTheMetric()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        using var rogue = new TestCertificates("rogue CA");
        var logs = new LogCollector();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(), listen: Https, logs: logs);
        var refused = a.Metric("edgesync_peers_refused");

        // The rogue site trusts the fleet CA (so it would accept a's server certificate) but presents its own CA's certificate.
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "f9/b", peers: [a.Url],
            settings: rogue.Issue("f9/b", caFile: fleet.CaFile).Settings(), listen: Https);
        AppDb.Exec(b.DbPath, "INSERT INTO items(id, name) VALUES ('rogue', 'x')");

        await Eventually.TrueAsync(() => logs.Has(2800, "(untrusted)") && refused.SumTags("reason=untrusted,side=server") >= 1,
            "a logs the refusal and counts it", diagnostics: () => logs.Dump() + "\n" + refused.Dump());
        Assert.Contains(logs.Lines, l => l.EventId == 2800 && l.Message.Contains("does not chain to the fleet CA", StringComparison.Ordinal)
            && l.Message.Contains("rogue CA", StringComparison.Ordinal));
        Assert.Equal(0L, AppDb.Count(a.DbPath, "items"));
    }

    [Fact]
    public async Task Peer_WithoutACertificate_IsRefused_WithALogLineAndTheMetric()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        var logs = new LogCollector();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(), listen: Https, logs: logs);
        var refused = a.Metric("edgesync_peers_refused");
        using var channel = TlsClients.Channel(a.Url, clientCertificate: null, fleet.Authority);
        var client = new Protocol.V1.Sync.SyncClient(channel);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.HandshakeAsync(TlsClients.Hello("f1/b"), cancellationToken: TestContext.Current.CancellationToken));

        // The server drops the connection during the TLS handshake; depending on when the client notices, gRPC
        // reports that as UNAVAILABLE or INTERNAL. Either way no call reached the service (the log and metric say why).
        Assert.Contains(e.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        await Eventually.TrueAsync(() => logs.Has(2800, "(no_certificate)") && refused.SumTags("reason=no_certificate,side=server") >= 1,
            "a logs and counts the refusal", diagnostics: () => logs.Dump() + "\n" + refused.Dump());
    }

    [Fact]
    public async Task Peer_WithAnExpiredCertificate_IsRefusedAsExpired()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        var logs = new LogCollector();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(), listen: Https, logs: logs);
        var refused = a.Metric("edgesync_peers_refused");
        using var expired = Support.ExpiredCertificate.Create(fleet.Authority, "f1/b");
        using var channel = TlsClients.Channel(a.Url, expired, fleet.Authority);
        var client = new Protocol.V1.Sync.SyncClient(channel);

        await Assert.ThrowsAsync<RpcException>(async () =>
            await client.HandshakeAsync(TlsClients.Hello("f1/b"), cancellationToken: TestContext.Current.CancellationToken));

        await Eventually.TrueAsync(() => logs.Has(2800, "(expired)") && refused.SumTags("reason=expired,side=server") >= 1,
            "a logs and counts the refusal", diagnostics: () => logs.Dump() + "\n" + refused.Dump());
    }

    [Fact]
    public async Task ClaimedSite_OutsideTheCertificate_IsRefusedWithPermissionDenied_ButItsIncarnationIsAccepted()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        await using var a = await TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(), listen: Https);
        var refused = a.Metric("edgesync_peers_refused");
        using var cert = fleet.Issue("f1/b").Load();
        using var channel = TlsClients.Channel(a.Url, cert, fleet.Authority);
        var client = new Protocol.V1.Sync.SyncClient(channel);
        var ct = TestContext.Current.CancellationToken;

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.HandshakeAsync(TlsClients.Hello("f2/x"), cancellationToken: ct));
        var push = client.Push(new Metadata { { "edgesync-site", "f1/c" }, { "edgesync-protocol", Wire.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) }, { "edgesync-database", "app" } }, cancellationToken: ct);
        await push.RequestStream.CompleteAsync();
        var pushError = await Assert.ThrowsAsync<RpcException>(async () => await push.ResponseAsync);
        var ok = await client.HandshakeAsync(TlsClients.Hello("f1/b~2"), cancellationToken: ct);

        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("'f2/x'", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("site f1/b", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, pushError.StatusCode);
        Assert.Contains("'f1/c'", pushError.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("f1/a", ok.SiteId);
        Assert.True(refused.SumTags("reason=site_mismatch,side=server") >= 2, refused.Dump());
    }

    [Fact]
    public async Task Agent_RefusesAServer_WhoseCertificateIsFromAnotherCa()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        using var rogue = new TestCertificates("rogue CA");
        var logs = new LogCollector();
        await using var server = await TestAgent.StartAsync(dir.Db("a"), "f9/a", settings: rogue.Issue("f9/a", caFile: fleet.CaFile).Settings(), listen: Https);
        AppDb.Exec(server.DbPath, "INSERT INTO items(id, name) VALUES ('rogue', 'x')");
        await using var b = await TestAgent.StartAsync(dir.Db("b"), "f1/b", peers: [server.Url], settings: fleet.Issue("f1/b").Settings(),
            listen: Https, logs: logs, record: ["edgesync_peers_refused"]);
        var refused = b.Metric("edgesync_peers_refused"); // b refuses the server from its first round on

        await Eventually.TrueAsync(() => logs.Has(2801, "(untrusted)") && refused.SumTags("reason=untrusted,side=client") >= 1,
            "b logs and counts the refused server", diagnostics: () => logs.Dump() + "\n" + refused.Dump());
        Assert.Equal(0L, AppDb.Count(b.DbPath, "items"));
    }
}
