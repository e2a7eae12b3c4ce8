using System.Security.Cryptography.X509Certificates;
using EdgeSync.Agent.Security;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class CertsCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CaThenSite_WriteCertManagerFiles_ThatChainToTheCa_AndNameTheSite()
    {
        string ca = _dir.File("ca"), site = _dir.File("site");

        var made = CliRunner.Run("certs", "ca", "--out", ca, "--name", "Test fleet CA");
        var issued = CliRunner.Run("certs", "site", "--ca", ca, "--site", "factory-001/sqlite-edge-0", "--out", site,
            "--dns", "sqlite-edge-0.sqlite-edge", "--ip", "10.1.2.3", "--days", "30");

        Assert.Equal(ExitCodes.Ok, made.ExitCode);
        Assert.Equal(ExitCodes.Ok, issued.ExitCode);
        Assert.Equal(["ca.crt", "ca.key"], Directory.GetFiles(ca).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], Directory.GetFiles(site).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca, "ca.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(site, "tls.key")));
        }

        using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(site, "ca.crt"));
        using var cert = X509Certificate2.CreateFromPemFile(Path.Combine(site, "tls.crt"), Path.Combine(site, "tls.key"));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new("1.3.6.1.5.5.7.3.1"));
        chain.ChainPolicy.ApplicationPolicy.Add(new("1.3.6.1.5.5.7.3.2"));
        Assert.True(chain.Build(cert), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal("CN=Test fleet CA", authority.Subject);
        Assert.Equal(new CertificateIdentity("factory-001", "factory-001/sqlite-edge-0"), SiteCertificate.IdentityOf(cert));
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost", "sqlite-edge-0.sqlite-edge"], san.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1", "10.1.2.3"], san.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.InRange((cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays, 29, 30.1);
        Assert.Contains("spiffe://edgesync/site/factory-001/sqlite-edge-0", issued.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterCertificate_NamesTheCluster()
    {
        string ca = _dir.File("ca"), site = _dir.File("site");
        CliRunner.Run("certs", "ca", "--out", ca);

        var issued = CliRunner.Run("certs", "site", "--ca", ca, "--site", "factory-007", "--out", site);

        Assert.Equal(ExitCodes.Ok, issued.ExitCode);
        using var cert = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(site, "tls.crt"));
        Assert.Equal(new CertificateIdentity("factory-007", null), SiteCertificate.IdentityOf(cert));
    }

    [Fact]
    public void ExistingKeys_AreNotOverwritten_UnlessForced()
    {
        string ca = _dir.File("ca"), site = _dir.File("site");
        CliRunner.Run("certs", "ca", "--out", ca);
        string before = File.ReadAllText(Path.Combine(ca, "ca.key"));
        CliRunner.Run("certs", "site", "--ca", ca, "--site", "f/r", "--out", site);
        string token = _dir.File("token");
        CliRunner.Run("certs", "token", "--out", token);

        var again = CliRunner.Run("certs", "ca", "--out", ca);
        var siteAgain = CliRunner.Run("certs", "site", "--ca", ca, "--site", "f/r", "--out", site);
        var tokenAgain = CliRunner.Run("certs", "token", "--out", token);
        Assert.Equal(before, File.ReadAllText(Path.Combine(ca, "ca.key")));
        var forced = CliRunner.Run("certs", "ca", "--out", ca, "--force");

        Assert.Equal(ExitCodes.UsageError, again.ExitCode);
        Assert.Equal(ExitCodes.UsageError, siteAgain.ExitCode);
        Assert.Equal(ExitCodes.UsageError, tokenAgain.ExitCode);
        Assert.Contains("refusing to overwrite (add --force to replace)", again.Stderr, StringComparison.Ordinal);
        Assert.Single(again.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(ExitCodes.Ok, forced.ExitCode);
        Assert.NotEqual(before, File.ReadAllText(Path.Combine(ca, "ca.key")));
    }

    [Theory]
    [InlineData("--site", "factory 1/x")]
    [InlineData("--site", "a/b/c")]
    [InlineData("--site", "f/r~2")]
    [InlineData("--ip", "not-an-ip")]
    [InlineData("--days", "0")]
    [InlineData("--ca", "missing-ca")]
    public void BadInput_IsOneLine_AndAUsageError(string option, string value)
    {
        string ca = _dir.File("ca");
        CliRunner.Run("certs", "ca", "--out", ca);
        var args = new Dictionary<string, string> { ["--ca"] = ca, ["--site"] = "f/r", ["--out"] = _dir.File("site") };
        args[option] = option == "--ca" ? _dir.File(value) : value;

        var result = CliRunner.Run(["certs", "site", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("edgesync: ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.File("site"), "tls.key")));
    }

    [Fact]
    public void Token_IsRandom_LongEnough_AndPrivate()
    {
        string a = _dir.File("a"), b = _dir.File("b");

        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "token", "--out", a).ExitCode);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("certs", "token", "--out", b).ExitCode);

        string token = File.ReadAllText(a).Trim();
        Assert.Equal(43, token.Length);
        Assert.NotEqual(token, File.ReadAllText(b).Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(a));
        }
    }
}
