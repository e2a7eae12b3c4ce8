using EdgeSync.Agent.Lifecycle;
using EdgeSync.Agent.Tests.Support;
using Microsoft.Extensions.Hosting;

namespace EdgeSync.Agent.Tests.Lifecycle;

/// <summary>
/// A database file removed under a running agent, before the directory scan lets go of it: each background service
/// that opens it fails on it. That failure must stay with that database. It used to end the lifecycle service, and
/// with it the host: the agent stopped syncing every database, yet the process stayed up.
/// </summary>
public sealed class RemovedFileTests
{
    [Fact]
    public async Task AFileRemovedBeforeTheScanLetsGo_IsReported_AndTheAgentGoesOnWithTheOthers()
    {
        using var dir = new TempDir();
        string served = dir.File("served");
        Directory.CreateDirectory(served);
        string keep = Path.Combine(served, "keep.db"), gone = Path.Combine(served, "gone.db");
        AppDb.Create(keep);
        AppDb.Create(gone);
        var logs = new LogCollector();
        await using var agent = await TestAgent.StartAsync(keep, "f1/edge-0", databases: [], logs: logs, settings: new Dictionary<string, string?>
        {
            ["EdgeSync:DatabaseDirectories:0"] = served,
            ["EdgeSync:DatabaseScanIntervalMs"] = "3600000", // the scan does not notice the removal during the test
            ["EdgeSync:RetentionIntervalMs"] = "200",
            ["EdgeSync:CompactionIntervalMinutes"] = "0",
        });
        var lifecycle = agent.Service<LifecycleService>();
        await Eventually.TrueAsync(() => lifecycle.Passes >= 1, "the lifecycle service runs");

        var removed = agent.Registry.Find("gone")!;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(gone + suffix);
        }

        // The lifecycle reads a database again only once it was committed to: a peer's vector arrives and is recorded by
        // the agent's writer, which still holds the removed file open. Its next read opens the path, which is gone.
        removed.Db.RecordPeerVector("f1/edge-9", EdgeSync.Clocks.VersionVector.Empty.With("f1/edge-9", 5), TestContext.Current.CancellationToken);

        await Eventually.TrueAsync(() => logs.Has(2913, "gone"), "the failure on the removed file is logged", diagnostics: logs.Dump);
        long passes = lifecycle.Passes;
        await Eventually.TrueAsync(() => lifecycle.Passes >= passes + 5, "the lifecycle service goes on after the failure");

        Assert.False(agent.Service<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the agent stopped itself");
        Assert.False(lifecycle.ExecuteTask!.IsCompleted, $"the lifecycle service ended: {lifecycle.ExecuteTask.Exception}");
        AppDb.InsertReadings(keep, 1, 10, "f");
        var kept = agent.Registry.Find("keep")!.Db;
        await Eventually.TrueAsync(() => kept.Vector[agent.Site] >= 10, "the other database is still captured");
    }
}
