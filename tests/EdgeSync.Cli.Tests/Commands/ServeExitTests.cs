using EdgeSync.Cli.Commands;
using Microsoft.Extensions.Hosting;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>edgesync serve</c> ends when its host stops itself (a background service failed), and exits non-zero so that
/// Kubernetes restarts it: before, it waited only for Ctrl-C, and stayed up with every conversation cancelled.
/// </summary>
public sealed class ServeExitTests
{
    [Fact]
    public async Task AFailedBackgroundService_IsWhatServeReports()
    {
        var ct = TestContext.Current.CancellationToken;
        using var failing = new Failing();
        using var quiet = new Quiet();
        await failing.StartAsync(ct);
        await quiet.StartAsync(ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.ExecuteTask!);

        Assert.Equal("the disk went away", ServeCommand.Failed([quiet, failing]));
        Assert.Null(ServeCommand.Failed([quiet]));
        await quiet.StopAsync(ct);
        Assert.Null(ServeCommand.Failed([quiet])); // stopped (cancelled), not failed
    }

    private sealed class Failing : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("the disk went away");
        }
    }

    private sealed class Quiet : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }
}
