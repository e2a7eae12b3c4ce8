using EdgeSync.Agent.Configuration;
using EdgeSync.Schema;
using Microsoft.Extensions.Configuration;

namespace EdgeSync.Agent.Tests.Lifecycle;

public sealed class LifecycleOptionsTests
{
    [Fact]
    public void Retention_BindsFromConfiguration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeSync:Tables:telemetry:Policy"] = "append",
            ["EdgeSync:Tables:telemetry:Retention:MaxAge"] = "3.00:00:00",
            ["EdgeSync:Tables:telemetry:Retention:MaxRows"] = "1000000",
            ["EdgeSync:MinFreeBytes"] = "1073741824",
        }).Build();

        var o = config.GetSection(AgentOptions.SectionName).Get<AgentOptions>()!;

        var r = o.Tables["telemetry"].Retention!;
        Assert.Equal(TimeSpan.FromDays(3), r.MaxAge);
        Assert.Equal(1_000_000, r.MaxRows);
        Assert.Equal("hub", r.Level);
        Assert.Equal(1L << 30, o.MinFreeBytes);
        Assert.False(new AgentOptionsValidator().Validate(null, o with { Databases = ["a.db"], Hub = "http://hq:5000" }).Failed);
    }

    [Fact]
    public void Validator_RefusesRetentionItCannotHonour()
    {
        var result = new AgentOptionsValidator().Validate(null, new AgentOptions
        {
            Databases = ["a.db"],
            Role = AgentRole.Hub,
            Tables = new Dictionary<string, TableSyncOptions>
            {
                ["settings"] = new() { Policy = TablePolicy.Lww, Retention = new() { MaxRows = 10 } },
                ["telemetry"] = new() { Policy = TablePolicy.Append, Retention = new() { Level = "hub" } },
                ["readings"] = new() { Policy = TablePolicy.Append, Retention = new() { MaxRows = 10, Level = "soon" } },
            },
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("Tables:settings:Retention: retention deletes rows, so it is only for append tables", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Tables:telemetry:Retention: set MaxAge", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Level is 'soon'; use 'hub'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("this agent is the hub", StringComparison.Ordinal));
    }
}
