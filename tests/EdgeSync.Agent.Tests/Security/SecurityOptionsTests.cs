using EdgeSync.Agent.Configuration;
using EdgeSync.Agent.Security;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Tests.Security;

public sealed class SecurityOptionsTests
{
    private static IEnumerable<string> Errors(AgentOptions options) =>
        new AgentOptionsValidator().Validate(null, options with { Databases = ["/tmp/app.db"] }).Failures ?? [];

    [Fact]
    public void Validator_RefusesPartialTls_CleartextSyncAndPeers_AndACertificateForAnotherSite()
    {
        using var fleet = new TestCertificates();
        var files = fleet.Issue("f1/a");
        var tls = new AgentTlsOptions { CertificateFile = files.Certificate, KeyFile = files.Key, CaFile = files.Ca };

        var partial = Errors(new AgentOptions { Tls = new AgentTlsOptions { CertificateFile = files.Certificate } });
        var mixed = Errors(new AgentOptions { Tls = tls, Listen = ["http://0.0.0.0:5000"], Hub = "http://hq:5000" });
        var otherSite = Errors(new AgentOptions { Tls = tls, Site = "f2/a", Listen = ["https://0.0.0.0:5000"] });
        var fine = Errors(new AgentOptions { Tls = tls, Site = "f1/a~3", Listen = ["https://0.0.0.0:5000"], HttpListen = ["http://0.0.0.0:8080"] });

        Assert.Contains(partial, e => e.Contains("set all of CertificateFile, KeyFile and CaFile", StringComparison.Ordinal));
        Assert.Contains(mixed, e => e.StartsWith("EdgeSync:Listen: 'http://0.0.0.0:5000' is cleartext", StringComparison.Ordinal));
        Assert.Contains(mixed, e => e.StartsWith("EdgeSync:Peers/Hub: 'http://hq:5000' is cleartext", StringComparison.Ordinal));
        Assert.Contains(otherSite, e => e.Contains("for site f1/a, not for this agent's site 'f2/a'", StringComparison.Ordinal));
        Assert.Empty(fine);
    }

    [Fact]
    public void Validator_NamesAMissingFile_AKeyThatDoesNotMatch_AndAShortToken()
    {
        using var fleet = new TestCertificates();
        var a = fleet.Issue("f1/a");
        var b = fleet.Issue("f1/b");
        using var dir = new TempDir();
        string token = Path.Combine(dir.Path, "token");
        File.WriteAllText(token, "short");

        var missing = Errors(new AgentOptions { Tls = new AgentTlsOptions { CertificateFile = "/nonexistent/tls.crt", KeyFile = a.Key, CaFile = a.Ca } });
        var mismatch = Errors(new AgentOptions { Tls = new AgentTlsOptions { CertificateFile = a.Certificate, KeyFile = b.Key, CaFile = a.Ca } });
        var shortToken = Errors(new AgentOptions { Auth = new AgentAuthOptions { TokenFile = token } });

        Assert.Contains(missing, e => e.Contains("cannot read '/nonexistent/tls.crt'", StringComparison.Ordinal));
        Assert.Contains(mismatch, e => e.StartsWith("EdgeSync:Tls:KeyFile:", StringComparison.Ordinal));
        Assert.Contains(shortToken, e => e.StartsWith("EdgeSync:Auth:TokenFile:", StringComparison.Ordinal) && e.Contains("at least 16", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WithTlsAndACleartextSyncUrl_FailsWithTheValidationMessage()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            TestAgent.StartAsync(dir.Db("a"), "f1/a", settings: fleet.Issue("f1/a").Settings(), listen: "http://127.0.0.1:0"));

        Assert.Contains("is cleartext but mutual TLS is configured", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithACertificateThatDoesNotCoverTheDatabasesStoredSite_Fails()
    {
        using var dir = new TempDir();
        using var fleet = new TestCertificates();
        string path = dir.Db("a");
        await using (await TestAgent.StartAsync(path, "f2/a"))
        {
        }

        // No --site: the stored id (f2/a) is what this agent would speak for.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestAgent.StartAsync(path, null!, settings: fleet.Issue("f1/a").Settings(), listen: "https://127.0.0.1:0"));

        Assert.Contains("the certificate is for site f1/a, but database 'app' belongs to site 'f2/a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_RefusesAServerWhoseHandshakeNamesASiteOutsideItsCertificate()
    {
        using var fleet = new TestCertificates();
        var files = fleet.Issue("f1/a");
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var refused = new MetricRecorder(meters, "edgesync_peers_refused");
        var time = TimeProvider.System;
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var tls = new FleetTls(new TlsFiles(new AgentTlsOptions { CertificateFile = files.Certificate, KeyFile = files.Key, CaFile = files.Ca }, logger, time),
            logger, time, new EdgeSync.Agent.Diagnostics.AgentMetrics(meters));

        tls.ServerIdentity("https://hub:5000", new CertificateIdentity("f1", null), "f1/sqlite-edge-2~3");
        var e = Assert.Throws<global::Grpc.Core.RpcException>(() => tls.ServerIdentity("https://hub:5000", new CertificateIdentity("f1", null), "hq/sqlite-edge-0"));

        Assert.Equal(global::Grpc.Core.StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("says it is site 'hq/sqlite-edge-0' but its certificate is for cluster f1", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, refused.SumTags("reason=site_mismatch,side=client"));
    }
}
