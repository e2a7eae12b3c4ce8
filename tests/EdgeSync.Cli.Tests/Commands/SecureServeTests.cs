using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// What a user does to secure a fleet, end to end with real processes: `edgesync certs`, `serve` with mutual TLS and a
/// token file, `sync --peer https://` with the site's certificate.
/// </summary>
public sealed class SecureServeTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    private string Replica(string name, string site)
    {
        Directory.CreateDirectory(_dir.File(name));
        string path = _dir.File(name + "/plant.db");
        using (new AppDatabase(path))
        {
        }

        Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        return path;
    }

    private static string[] Tls(string dir) => ["--tls-cert", Path.Combine(dir, "tls.crt"), "--tls-key", Path.Combine(dir, "tls.key"), "--tls-ca", Path.Combine(dir, "ca.crt")];

    [Fact]
    public async Task ServeWithMutualTls_SyncsWithASiteOfTheFleet_RefusesAnotherCa_AndIngestNeedsTheToken()
    {
        string ca = _dir.File("ca"), rogueCa = _dir.File("rogue-ca");
        Assert.Equal(0, CliRunner.Run("certs", "ca", "--out", ca).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "ca", "--out", rogueCa).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", ca, "--site", "f1/edge-0", "--out", _dir.File("edge-0-tls")).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", ca, "--site", "f1/edge-1", "--out", _dir.File("edge-1-tls")).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "site", "--ca", rogueCa, "--site", "f1/edge-1", "--out", _dir.File("rogue-tls")).ExitCode);
        Assert.Equal(0, CliRunner.Run("certs", "token", "--out", _dir.File("token")).ExitCode);
        string token = File.ReadAllText(_dir.File("token")).Trim();

        string a = Replica("edge-0", "f1/edge-0"), b = Replica("edge-1", "f1/edge-1"), rogue = Replica("rogue", "f1/edge-1");
        using (var app = new AppDatabase(a))
        {
            app.Exec("INSERT INTO config VALUES ('line', 'running', 'plc')");
        }

        var agent = _agents.Serve("https://127.0.0.1:0", "http://127.0.0.1:0",
            ["--db", a, .. Tls(_dir.File("edge-0-tls")), "--token-file", _dir.File("token")]);
        Assert.StartsWith("https://", agent.Grpc, StringComparison.Ordinal);

        var synced = CliRunner.Run(["sync", "--db", b, "--peer", agent.Grpc, .. Tls(_dir.File("edge-1-tls"))]);
        var refused = CliRunner.Run(["sync", "--db", rogue, "--peer", agent.Grpc, .. Tls(_dir.File("rogue-tls"))]);
        // A site with a certificate from another CA that trusts the fleet CA: the agent refuses it during the handshake.
        File.Copy(Path.Combine(ca, "ca.crt"), Path.Combine(_dir.File("rogue-tls"), "ca.crt"), overwrite: true);
        var impostor = CliRunner.Run(["sync", "--db", rogue, "--peer", agent.Grpc, .. Tls(_dir.File("rogue-tls"))]);
        var cleartext = CliRunner.Run(["sync", "--db", b, "--peer", "http://127.0.0.1:9", .. Tls(_dir.File("edge-1-tls"))]);

        Assert.Equal(0, synced.ExitCode);
        Assert.Contains("synced with f1/edge-0: 1 rows pulled", synced.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.IoError, refused.ExitCode);
        Assert.Contains("refused the certificate of", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("untrusted", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.IoError, impostor.ExitCode);
        Assert.StartsWith("edgesync: peer error", impostor.Stderr, StringComparison.Ordinal);
        Assert.Contains("'Refused peer connection' says why", impostor.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, cleartext.ExitCode);
        var localWithTls = CliRunner.Run(["sync", "--db", b, "--with", a, .. Tls(_dir.File("edge-1-tls"))]);
        Assert.Equal(ExitCodes.UsageError, localWithTls.ExitCode);
        var partial = CliRunner.Run("sync", "--db", b, "--peer", agent.Grpc, "--tls-cert", Path.Combine(_dir.File("edge-1-tls"), "tls.crt"));
        Assert.Equal(ExitCodes.UsageError, partial.ExitCode);
        Assert.Contains("give all of --tls-cert, --tls-key and --tls-ca, or none", partial.Stderr, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = new Uri(agent.Http) };
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = await http.PostAsync("/v1/tables/config/rows", new StringContent("""[{"key": "k", "value": "v"}]""", Encoding.UTF8, "application/json"), ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tables/config/rows")
        {
            Content = new StringContent("""[{"key": "k", "value": "v"}]""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var authorised = await http.SendAsync(request, ct);
        string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
        Assert.Contains("edgesync_peers_refused_total{", metrics, StringComparison.Ordinal);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("edgesync_peers_refused_total{", StringComparison.Ordinal)
            && l.Contains("reason=\"untrusted\"", StringComparison.Ordinal) && l.Contains("side=\"server\"", StringComparison.Ordinal));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("edgesync_ingest_rejected_total{", StringComparison.Ordinal)
            && l.Contains("reason=\"unauthenticated\"", StringComparison.Ordinal));
    }
}
