using EdgeSync.Agent.Configuration;
using Microsoft.Extensions.Configuration;

namespace EdgeSync.Agent.Tests.Security;

public sealed class OwnerColumnOptionsTests
{
    [Fact]
    public void OwnerColumn_BindsPerTable_AndBecomesTheHubsTableRule()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeSync:Databases:0"] = "/data/app.db",
            ["EdgeSync:Tables:readings:Direction"] = "up",
            ["EdgeSync:Tables:readings:OwnerColumn"] = "cluster_id",
            ["EdgeSync:Tables:settings:Direction"] = "down",
        }).Build();

        var o = config.GetSection(AgentOptions.SectionName).Get<AgentOptions>()!;

        Assert.Equal("cluster_id", o.Tables["readings"].OwnerColumn);
        Assert.Null(o.Tables["settings"].OwnerColumn);
        Assert.True(new AgentOptionsValidator().Validate(null, o).Succeeded);
    }

    [Fact]
    public void EmptyOwnerColumn_IsReportedWithItsKey()
    {
        var result = new AgentOptionsValidator().Validate(null, new AgentOptions
        {
            Databases = ["/data/app.db"],
            Tables = new Dictionary<string, TableSyncOptions> { ["readings"] = new() { OwnerColumn = " " } },
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("EdgeSync:Tables:readings:OwnerColumn", StringComparison.Ordinal));
    }
}
