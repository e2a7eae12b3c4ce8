using System.Net;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary><c>edgesync demo --keep</c>: the printed console URL answers while the fleet keeps running, until Ctrl-C.</summary>
public sealed class DemoKeepTests
{
    [Fact]
    public async Task Keep_PrintsTheConsoleUrl_AndKeepsTheFleetUpUntilCancelled()
    {
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stdout = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        using var stderr = new StringWriter();
        var demo = Task.Run(() => CliApp.Run(["demo", "--factories", "2", "--replicas", "1", "--seconds", "2", "--rate", "100", "--keep"], output, stderr, ctrlC.Token),
            TestContext.Current.CancellationToken);

        string? url = null;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (url is null && !demo.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            url = Lines(output, stdout).FirstOrDefault(l => l.StartsWith("The fleet keeps running: open ", StringComparison.Ordinal))?.Split(' ')[5];
        }

        Assert.True(url is not null, "the demo did not say it keeps running:\n" + stdout + stderr);
        Assert.Contains(Lines(output, stdout), l => l.StartsWith("Fleet console: " + url, StringComparison.Ordinal));
        Assert.Contains(Lines(output, stdout), l => l.StartsWith("Converged: ", StringComparison.Ordinal));

        // After the verdict the fleet still serves its console: the page and the fleet with both factories.
        using var http = new HttpClient();
        using var page = await http.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string fleet = await http.GetStringAsync(url.Replace("/ui", "/v1/fleet", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        Assert.Contains("\"id\":\"factory-001\"", fleet, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"factory-002\"", fleet, StringComparison.Ordinal);
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.False(demo.IsCompleted, "the demo ended without Ctrl-C");

        await ctrlC.CancelAsync();
        int exit = await demo.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("Stopping the fleet.", Lines(output, stdout));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(url, TestContext.Current.CancellationToken));
    }

    /// <summary>What was printed so far (under the synchronized writer's lock: it locks itself).</summary>
    private static string[] Lines(TextWriter synchronized, StringWriter writer)
    {
        lock (synchronized)
        {
            return writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }
}
