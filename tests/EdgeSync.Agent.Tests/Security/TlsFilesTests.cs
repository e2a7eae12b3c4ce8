using EdgeSync.Agent.Security;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent.Tests.Security;

public sealed class TlsFilesTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void RotatedFiles_AreServedAfterTheCheckInterval_AndAHalfWrittenSetKeepsThePreviousCertificate()
    {
        using var fleet = new TestCertificates();
        var first = fleet.Issue("f1/a");
        var second = fleet.Issue("f1/a");
        var time = new ManualTime();
        var files = new TlsFiles(new AgentTlsOptions { CertificateFile = first.Certificate, KeyFile = first.Key, CaFile = first.Ca },
            NullLogger.Instance, time);
        string original = files.Current.Certificate.Thumbprint;

        // A rotation writes the certificate first: for a moment it does not match the key.
        File.Copy(second.Certificate, first.Certificate, overwrite: true);
        time.Ticks += TlsFiles.CheckInterval.Ticks;
        string duringRotation = files.Current.Certificate.Thumbprint;
        File.Copy(second.Key, first.Key, overwrite: true);
        string beforeNextCheck = files.Current.Certificate.Thumbprint;
        time.Ticks += TlsFiles.CheckInterval.Ticks;
        string after = files.Current.Certificate.Thumbprint;

        Assert.Equal(original, duringRotation);
        Assert.Equal(original, beforeNextCheck);
        Assert.NotEqual(original, after);
        Assert.Equal(second.Load().Thumbprint, after);
    }
}
