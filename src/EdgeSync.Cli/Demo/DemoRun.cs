using System.Diagnostics;
using System.Runtime.ExceptionServices;
using EdgeSync.Cli.Internal;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// The demo from start to verdict: create the replicas, let the apps write while the mesh syncs (progress once per
/// second), stop the writers, sync until quiescent, and compare checksums.
/// </summary>
internal sealed class DemoRun(DemoOptions options, CliContext context)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly TextWriter _out = context.Out;
    private readonly CancellationToken _cancellationToken = context.CancellationToken;

    public int Execute()
    {
        bool temporary = options.Directory is null;
        string directory = PrepareDirectory();
        var replicas = new List<DemoReplica>();
        try
        {
            for (int i = 0; i < options.Replicas; i++)
            {
                replicas.Add(DemoReplica.Create(directory, i));
            }

            AppWriter.SeedConfig(replicas[0].Path);
            var mesh = new MeshSync(replicas);
            mesh.RunUntilQuiescent(options.ConvergeTimeout, _cancellationToken);
            PrintIntro(directory, temporary, replicas);

            var (written, configUpdates) = WriteWhileSyncing(replicas, mesh);
            var converge = Stopwatch.StartNew();
            bool quiescent = mesh.RunUntilQuiescent(options.ConvergeTimeout, _cancellationToken);
            converge.Stop();
            return Report(replicas, written, configUpdates, quiescent, converge.Elapsed, directory, temporary);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                replica.Dispose();
            }

            if (temporary)
            {
                DeleteBestEffort(directory);
            }
        }
    }

    private string PrepareDirectory()
    {
        if (options.Directory is not { } directory)
        {
            return Directory.CreateTempSubdirectory("edgesync-demo-").FullName;
        }

        Directory.CreateDirectory(directory);
        for (int i = 0; i < options.Replicas; i++)
        {
            string file = Path.Combine(directory, DemoReplica.FileName(i));
            if (File.Exists(file))
            {
                throw new CliException(ExitCodes.UsageError, $"--dir '{directory}' already holds {DemoReplica.FileName(i)}; use an empty or new directory");
            }
        }

        return directory;
    }

    private void PrintIntro(string directory, bool temporary, List<DemoReplica> replicas)
    {
        _out.WriteLine($"EdgeSync demo: {options.Replicas} replicas of one SQLite database; apps write for {options.Duration.TotalSeconds:0.#} s "
            + $"at {Format.N(options.RowsPerSecond)} rows/s in total while a full mesh syncs them.");
        _out.WriteLine($"  directory  {directory}{(temporary ? " (temporary; pass --dir to keep the files)" : "")}");
        _out.WriteLine($"  sites      {replicas[0].Site} .. {replicas[^1].Site}");
        _out.WriteLine("  tables     telemetry (append): every replica inserts its own rows");
        _out.WriteLine($"             config (lww): {AppWriter.ConfigKeys.Length} keys that up to 3 replicas update at the same moment every "
            + $"{options.ConfigInterval.TotalSeconds:0.0#} s, so conflicts happen");
        _out.WriteLine();
        var header = new System.Text.StringBuilder($"{"time",6}  {"written",10}");
        foreach (var r in replicas)
        {
            header.Append($"  {r.Name + " synced",14} {"lag",7}");
        }

        _out.WriteLine(header.ToString());
    }

    /// <summary>The write phase: app writers and the mesh on their own threads, progress here once per second.</summary>
    private (long Written, long ConfigUpdates) WriteWhileSyncing(List<DemoReplica> replicas, MeshSync mesh)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        using var configTick = new Barrier(replicas.Count);
        double perReplica = (double)options.RowsPerSecond / replicas.Count;
        var writers = replicas.Select(r => new AppWriter(r, replicas.Count, perReplica, options.ConfigInterval, configTick)).ToList();

        long start = Stopwatch.GetTimestamp();
        var writerTasks = writers.Select(w => StartWorker(() => w.Run(start, stop.Token), stop)).ToArray();
        var meshTask = StartWorker(() => mesh.RunUntilCancelled(stop.Token), stop);

        for (var next = ProgressInterval; next <= options.Duration; next += ProgressInterval)
        {
            var wait = next - Stopwatch.GetElapsedTime(start);
            if (stop.Token.WaitHandle.WaitOne(wait > TimeSpan.Zero ? wait : TimeSpan.Zero))
            {
                break; // Ctrl-C, or a worker failed
            }

            PrintProgress(next, replicas, writers);
        }

        stop.Cancel(); // writers and mesh together; the quiescence phase then syncs what is left, on this thread
        Join([.. writerTasks, meshTask]); // every worker has stopped before anything is disposed, even on failure
        _cancellationToken.ThrowIfCancellationRequested();
        return (writers.Sum(w => w.Written), writers.Sum(w => w.ConfigUpdates));
    }

    private void PrintProgress(TimeSpan at, List<DemoReplica> replicas, List<AppWriter> writers)
    {
        var present = replicas.Select(r => r.CountTelemetry()).ToList(); // counted before "written": lag is never understated
        long written = writers.Sum(w => w.Written);
        var line = new System.Text.StringBuilder($"{at.TotalSeconds,5:0}s  {Format.N(written),10}");
        for (int i = 0; i < replicas.Count; i++)
        {
            line.Append($"  {Format.N(replicas[i].RowsSynced),14} {Format.N(Math.Max(0, written - present[i])),7}");
        }

        _out.WriteLine(line.ToString());
    }

    private int Report(List<DemoReplica> replicas, long written, long configUpdates, bool quiescent, TimeSpan converge, string directory, bool temporary)
    {
        var checksums = replicas.Select(r => r.Db.Checksum()).ToList();
        var rows = replicas.Select(r => r.CountTelemetry()).ToList();
        long conflicts = replicas.Sum(r => (long)r.Db.GetConflicts(int.MaxValue).Count);
        bool sameData = checksums.All(c => c == checksums[0]);
        bool allRows = rows.All(n => n == written);
        bool converged = quiescent && sameData && allRows;

        _out.WriteLine();
        _out.WriteLine(converged
            ? $"Converged: all {replicas.Count} replicas hold the same data, {converge.TotalSeconds:0.00} s after the writes stopped."
            : "NOT converged.");
        _out.WriteLine($"  replicas            {replicas.Count}");
        _out.WriteLine($"  rows                {Format.N(written)} telemetry rows written, {Format.N(configUpdates)} config updates");
        _out.WriteLine($"  time to converge    {converge.TotalSeconds:0.00} s after writes stopped{(quiescent ? "" : $" (gave up after {options.ConvergeTimeout.TotalSeconds:0} s)")}");
        _out.WriteLine($"  conflicts resolved  {Format.N(conflicts)} (audit records, one per column and replica where concurrent writes met; "
            + "see edgesync conflicts --db FILE)");
        _out.WriteLine("  checksums");
        for (int i = 0; i < replicas.Count; i++)
        {
            string mark = checksums[i] == checksums[0] ? "" : "  <- differs";
            _out.WriteLine($"    {replicas[i].Site}  {checksums[i][..16]}  {Format.N(rows[i])} rows{mark}");
        }

        if (!temporary)
        {
            _out.WriteLine($"  files               {directory} (try: edgesync status --db {Path.Combine(directory, DemoReplica.FileName(0))})");
        }

        if (converged)
        {
            return ExitCodes.Ok;
        }

        string why = !quiescent ? $"the mesh was still moving changes {options.ConvergeTimeout.TotalSeconds:0} s after the writes stopped"
            : !allRows ? $"a replica holds {Format.N(rows.First(n => n != written))} telemetry rows of {Format.N(written)} written"
            : "the replicas' checksums differ";
        context.Error.WriteLine($"edgesync: the replicas did not converge: {why}");
        return ExitCodes.CheckFailed;
    }

    /// <summary>Runs a worker on its own thread; if it fails, everything stops so the failure surfaces at once.</summary>
    private static Task StartWorker(Action body, CancellationTokenSource stop) =>
        Task.Factory.StartNew(() =>
        {
            try
            {
                body();
            }
            catch (OperationCanceledException)
            {
                // Stopping is the normal end of a worker.
            }
            catch
            {
                stop.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Waits for all workers, then rethrows the first failure as itself (so it maps to the right exit code).</summary>
    private static void Join(Task[] tasks)
    {
        try
        {
            Task.WaitAll(tasks);
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
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
