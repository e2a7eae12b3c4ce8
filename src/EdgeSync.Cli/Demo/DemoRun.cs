using System.Diagnostics;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// The demo from start to verdict: start the fleet's agents, ingest telemetry and concurrent machine states at the
/// factories while HQ pushes a config change (progress once per second), stop the writes, wait until the fleet
/// converged, print the summary.
/// </summary>
internal sealed class DemoRun(DemoOptions options, CliContext context)
{
    /// <summary>
    /// Thread-pool threads per agent the demo asks for up front. The agents do their SQLite work synchronously, as
    /// they should; in production each has its own process, but here they all share this process's pool, which would
    /// otherwise grow by a thread or two per second while requests queue.
    /// </summary>
    private const int ThreadsPerAgent = 4;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the summary waits for the config poller to notice a change the convergence check already saw.</summary>
    private static readonly TimeSpan ConfigGrace = TimeSpan.FromSeconds(1);

    private readonly TextWriter _out = context.Out;
    private readonly CancellationToken _cancellationToken = context.CancellationToken;

    /// <summary>Runs the demo off the caller's synchronization context and returns the exit code.</summary>
    public int Execute()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, ThreadsPerAgent * (options.FactoryReplicas + 1)), io);
        try
        {
            return Task.Run(ExecuteAsync, CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }
    }

    private async Task<int> ExecuteAsync()
    {
        bool temporary = options.Directory is null;
        string directory = PrepareDirectory();
        var fleet = DemoFleet.Plan(directory, options.Factories, options.Replicas);
        using var configStop = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        var configTask = Task.CompletedTask;
        try
        {
            var startup = Stopwatch.StartNew();
            var certificates = options.Tls
                ? DemoCertificates.Create(directory, ["hq", .. Enumerable.Range(1, options.Factories).Select(DemoSite.FactoryName)])
                : null;
            await fleet.StartAsync(certificates, _cancellationToken);
            var report = new DemoReport(options, fleet, _out);
            report.PrintIntro(startup.Elapsed);
            string console = $"{fleet.Hub.HttpUrl}/ui" + (certificates is null ? "" : $"?token={certificates.Token}");
            _out.WriteLine($"Fleet console: {console}  (the whole fleet as HQ sees it, live in a browser; edgesync status --fleet --peer {fleet.Hub.HttpUrl})");
            _out.WriteLine();

            using var client = new IngestClient(certificates?.Token);
            var telemetry = new TelemetryFeed(fleet, options, client);
            var machines = new MachineStateFeed(fleet, options, client);
            var config = new ConfigPush(fleet, options, client);
            long start = Stopwatch.GetTimestamp();
            configTask = config.RunAsync(start, configStop.Token);

            await WriteWithProgressAsync(fleet, telemetry, machines, config, start);
            _out.WriteLine($"Writes stopped at {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s; waiting for the fleet to converge...");
            var result = await new ConvergenceCheck(fleet, telemetry).WaitAsync(options.ConvergeTimeout, _cancellationToken);

            configStop.CancelAfter(ConfigGrace);
            await IgnoreCancellation(configTask);
            _cancellationToken.ThrowIfCancellationRequested();
            int verdict = report.PrintSummary(result, telemetry, machines, config, directory, temporary, context.Error);
            if (options.Keep)
            {
                await KeepRunningAsync(console);
            }

            return verdict;
        }
        finally
        {
            await configStop.CancelAsync();
            await Task.WhenAny(configTask); // its failure, if any, was reported above or matters less than the one in flight
            await fleet.DisposeAsync(); // every agent stops (and closes its files) before the directory goes
            if (temporary)
            {
                DeleteBestEffort(directory);
            }
        }
    }

    /// <summary>The write phase: the feeds run on their own; this prints a progress line each second until they finish.</summary>
    private async Task WriteWithProgressAsync(DemoFleet fleet, TelemetryFeed telemetry, MachineStateFeed machines, ConfigPush config, long start)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        var writes = Task.WhenAll(
            CancelOnFailure(telemetry.RunAsync(start, abort.Token), abort),
            CancelOnFailure(machines.RunAsync(start, abort.Token), abort));
        var progress = new ProgressTable(fleet, telemetry, _out);
        progress.PrintHeader();
        bool pushedShown = false, propagatedShown = false;
        for (var next = ProgressInterval; !writes.IsCompleted; next += ProgressInterval)
        {
            var wait = next - Stopwatch.GetElapsedTime(start);
            var tick = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, abort.Token);
            if (await Task.WhenAny(writes, tick) != tick || abort.IsCancellationRequested)
            {
                break; // the feeds finished (a slow fleet may take longer than asked); or Ctrl-C, or a feed failed: surfaced below
            }

            if (!pushedShown && config.PushedAt is { } pushedAt)
            {
                pushedShown = true;
                var (key, value) = FleetSchema.PushedConfig;
                progress.PrintEvent(pushedAt, $"HQ sets config {key} = {value}");
            }

            if (!propagatedShown && config.Propagation is { } propagation)
            {
                propagatedShown = true;
                progress.PrintEvent(config.PushedAt!.Value + propagation,
                    $"config change reached all {options.FactoryReplicas} factory replicas, {propagation.TotalSeconds:0.000} s after HQ sent it");
            }

            progress.PrintLine(next);
        }

        await writes;
    }

    /// <summary><c>--keep</c>: the fleet stays up, its console open, until Ctrl-C.</summary>
    private async Task KeepRunningAsync(string console)
    {
        _out.WriteLine($"The fleet keeps running: open {console} (Ctrl-C stops it).");
        try
        {
            await Task.Delay(Timeout.Infinite, _cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _out.WriteLine("Stopping the fleet.");
        }
    }

    /// <summary>A feed that fails stops the others at once, so the failure surfaces without waiting out the demo.</summary>
    private static async Task CancelOnFailure(Task feed, CancellationTokenSource abort)
    {
        try
        {
            await feed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await abort.CancelAsync();
            throw;
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // The config poller stops when the demo ends; what it measured stays readable.
        }
    }

    private string PrepareDirectory()
    {
        if (options.Directory is null)
        {
            return Directory.CreateTempSubdirectory("edgesync-demo-").FullName;
        }

        string directory = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(directory);
        foreach (var site in DemoFleet.Plan(directory, options.Factories, options.Replicas).All)
        {
            if (File.Exists(site.Path))
            {
                throw new CliException(ExitCodes.UsageError,
                    $"--dir '{options.Directory}' already holds {Path.GetRelativePath(directory, site.Path)}; use an empty or new directory");
            }
        }

        return directory;
    }

    private static void DeleteBestEffort(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
