using System.Net;
using EdgeSync.Agent.Security;

namespace EdgeSync.Agent.Tests.Security;

public sealed class CertificateIdentityTests
{
    [Theory]
    [InlineData("factory-001/sqlite-edge-0", true)]
    [InlineData("factory-001/sqlite-edge-0~2", true)]
    [InlineData("factory-001/sqlite-edge-0~12", true)]
    [InlineData("factory-001/sqlite-edge-0~", false)]
    [InlineData("factory-001/sqlite-edge-0~x", false)]
    [InlineData("factory-001/sqlite-edge-01", false)]
    [InlineData("factory-001/sqlite-edge-1", false)]
    [InlineData("factory-002/sqlite-edge-0", false)]
    [InlineData("", false)]
    public void SiteCertificate_CoversItsSiteAndItsIncarnationsOnly(string claimed, bool covered) =>
        Assert.Equal(covered, new CertificateIdentity("factory-001", "factory-001/sqlite-edge-0").Covers(claimed));

    [Theory]
    [InlineData("factory-001/sqlite-edge-0", true)]
    [InlineData("factory-001/sqlite-edge-4~3", true)]
    [InlineData("factory-001", true)]
    [InlineData("factory-001~2", true)]
    [InlineData("factory-001~", false)]
    [InlineData("factory-001/", false)]
    [InlineData("factory-0011/sqlite-edge-0", false)]
    [InlineData("factory-002/sqlite-edge-0", false)]
    public void ClusterCertificate_CoversEverySiteOfItsClusterOnly(string claimed, bool covered) =>
        Assert.Equal(covered, new CertificateIdentity("factory-001", null).Covers(claimed));

    [Fact]
    public void DevCertificate_CarriesTheSiteUri_AndIdentityOfReadsItBack()
    {
        using var ca = DevCertificates.CreateAuthority("t", 1);
        using var site = DevCertificates.CreateSite(ca, "factory-001/sqlite-edge-0", ["a.example"], [IPAddress.Loopback], 1);
        using var cluster = DevCertificates.CreateSite(ca, "factory-001", [], [], 1);

        Assert.Equal(new CertificateIdentity("factory-001", "factory-001/sqlite-edge-0"), SiteCertificate.IdentityOf(site));
        Assert.Equal(new CertificateIdentity("factory-001", null), SiteCertificate.IdentityOf(cluster));
        Assert.Null(SiteCertificate.IdentityOf(ca));
        Assert.Equal("spiffe://edgesync/site/factory-001/sqlite-edge-0", SiteCertificate.SiteUri("factory-001/sqlite-edge-0").ToString());
    }

    [Theory]
    [InlineData("a/b/c")]
    [InlineData("a b")]
    [InlineData("/x")]
    [InlineData("x/")]
    [InlineData("f/r~2")]
    public void Parse_RefusesWhatIsNotASiteOrCluster(string value) => Assert.Null(SiteCertificate.Parse(value));
}
