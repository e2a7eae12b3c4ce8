using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Tests.Diagnostics;

public sealed class QuietLogTests
{
    [Fact]
    public async Task FrameworkRequestLogs_AreWarningByDefault_AndConfigurationCanRaiseThem()
    {
        using var dir = new TempDir();
        string path = dir.Db("quiet");
        await using (var quiet = AgentHost.Create([], new AgentLaunchSettings { Databases = [path] }))
        {
            var loggers = quiet.Services.GetRequiredService<ILoggerFactory>();
            var requests = loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
            Assert.False(requests.IsEnabled(LogLevel.Information), "a request line per call is not logged by default");
            Assert.True(requests.IsEnabled(LogLevel.Warning));
            Assert.False(loggers.CreateLogger("Grpc.AspNetCore.Server.ServerCallHandler").IsEnabled(LogLevel.Information));
            Assert.True(loggers.CreateLogger("EdgeSync.Agent").IsEnabled(LogLevel.Information), "the agent's own lines stay on");
        }

        var verbose = new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information" };
        await using (var loud = AgentHost.Create([], new AgentLaunchSettings { Databases = [path], Settings = verbose }))
        {
            var requests = loud.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
            Assert.True(requests.IsEnabled(LogLevel.Information), "configuration overrides the quiet default");
        }
    }

    [Fact]
    public async Task UnreachablePeer_IsLoggedOnceWhileItStaysDown_NotPerRetry()
    {
        using var dir = new TempDir();
        var logs = new LogCollector();
        string dead = TestAgent.DeadUrl();
        var settings = new Dictionary<string, string?> { ["Logging:LogLevel:EdgeSync"] = "Information" };
        await using var agent = await TestAgent.StartAsync(dir.Db("lonely"), "quiet-lonely", peers: [dead], settings: settings, logs: logs,
            record: ["edgesync_sync_retries"]);
        var retries = agent.Metric("edgesync_sync_retries");

        await Eventually.TrueAsync(() => retries.Sum("quiet-lonely") >= 5, "the conversation retries the dead peer several times",
            diagnostics: retries.Dump);
        var failures = logs.Lines.Where(l => l.EventId is 2201 or 2202 or 2221 && l.Message.Contains(dead, StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 1, $"expected one line for the failure streak, got {failures.Count}:\n{logs.Dump()}");
    }
}
