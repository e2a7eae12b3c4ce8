using EdgeSync.Agent.Configuration;
using EdgeSync.Agent.Sync;
using EdgeSync.Schema;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Tests.Configuration;

public sealed class OptionsTests
{
    [Fact]
    public void ConfigMapKeys_BindFromEdgeSyncEnvironmentVariables()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6];
        (string, string)[] vars =
        [
            ("EDGESYNC_CLUSTER_ID", "factory-" + suffix), ("EDGESYNC_region", "eu-west"), ("EDGESYNC_NODE_COUNT", "3"),
            ("EDGESYNC_STORAGE_CLASS", "local-path"), ("EDGESYNC_PEERS", "http://a:5000, http://b:5000"), ("EDGESYNC_SYNC_INTERVAL_MS", "250"),
        ];
        foreach (var (k, v) in vars)
        {
            Environment.SetEnvironmentVariable(k, v);
        }

        try
        {
            var config = new ConfigurationBuilder().AddEdgeSyncEnvironmentVariables().Build();
            var o = config.GetSection(AgentOptions.SectionName).Get<AgentOptions>()!;

            Assert.Equal("factory-" + suffix, o.ClusterId);
            Assert.Equal("eu-west", o.Region);
            Assert.Equal(3, o.NodeCount);
            Assert.Equal("local-path", o.StorageClass);
            Assert.Equal(["http://a:5000", "http://b:5000"], o.Peers);
            Assert.Equal(250, o.SyncIntervalMs);
        }
        finally
        {
            foreach (var (k, _) in vars)
            {
                Environment.SetEnvironmentVariable(k, null);
            }
        }
    }

    [Fact]
    public void Tables_BindPolicyAndDirection_AndRoleDefaultsFromHub()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeSync:Databases:0"] = "/data/app.db",
            ["EdgeSync:Hub"] = "http://hq:5000/",
            ["EdgeSync:Tables:readings:Policy"] = "append",
            ["EdgeSync:Tables:readings:Direction"] = "up",
            ["EdgeSync:Tables:settings:Direction"] = "down",
        }).Build();

        var o = config.GetSection(AgentOptions.SectionName).Get<AgentOptions>()!;

        Assert.Equal(TablePolicy.Append, o.Tables["readings"].Policy);
        Assert.Equal(SyncDirection.Up, o.DirectionOf("readings"));
        Assert.Equal(TablePolicy.Lww, o.Tables["settings"].Policy);
        Assert.Equal(SyncDirection.Down, o.DirectionOf("settings"));
        Assert.Equal(SyncDirection.Both, o.DirectionOf("other"));
        Assert.Equal(AgentRole.Factory, o.EffectiveRole);
        Assert.Equal(["http://hq:5000"], o.StaticPeers);
        Assert.Equal(AgentRole.Peer, new AgentOptions().EffectiveRole);
    }

    [Fact]
    public void Validator_ReportsEveryBadKey()
    {
        var result = new AgentOptionsValidator().Validate(null, new AgentOptions
        {
            Peers = ["not a url"],
            PeerDns = "no-port",
            SyncIntervalMs = 0,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("Databases", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("'not a url'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("PeerDns", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("SyncIntervalMs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Host_WithoutDatabases_FailsAtStart()
    {
        await using var app = AgentHost.Create([], new AgentLaunchSettings { Listen = ["http://127.0.0.1:0"], HttpListen = ["http://127.0.0.1:0"] });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Databases", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SyncDirection.Both, AgentRole.Hub, AgentRole.Factory, true)]
    [InlineData(SyncDirection.Up, AgentRole.Factory, AgentRole.Hub, true)]
    [InlineData(SyncDirection.Up, AgentRole.Hub, AgentRole.Factory, false)]
    [InlineData(SyncDirection.Up, AgentRole.Peer, AgentRole.Factory, true)]
    [InlineData(SyncDirection.Up, AgentRole.Factory, AgentRole.Factory, true)]
    [InlineData(SyncDirection.Down, AgentRole.Hub, AgentRole.Factory, true)]
    [InlineData(SyncDirection.Down, AgentRole.Factory, AgentRole.Hub, false)]
    [InlineData(SyncDirection.Down, AgentRole.Peer, AgentRole.Hub, true)]
    public void DirectionRules(SyncDirection direction, AgentRole from, AgentRole to, bool allowed) =>
        Assert.Equal(allowed, DirectionFilter.Allows(direction, from, to));
}
