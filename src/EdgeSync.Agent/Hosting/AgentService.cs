using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Starts the agent: opens every database (enabling the configured tables), then starts its capture loop, and one
/// conversation per peer (<see cref="PeerSupervisor"/>) for all of them. Stopping cancels every loop at once and waits for all of them together (a batch being applied completes;
/// nothing is half-applied; a peer being dialled or a retry pause is abandoned), checkpoints each WAL file into its
/// database and closes the databases; if the host's shutdown timeout runs out first, the databases are closed
/// anyway (closing waits for an apply in progress).
/// </summary>
internal sealed class AgentService(
    IOptions<AgentOptions> options, DatabaseRegistry registry, Security.AgentSecurity security, WalWatch walWatch, ILoggerFactory loggers, TimeProvider time,
    Console.IFleetSnapshotSource console)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("EdgeSync.Agent");
    private readonly List<HostedDatabase> _databases = [];
    private readonly List<IAsyncDisposable> _loops = [];
    private readonly WalWatch _walWatch = walWatch;
    private DatabaseDirectory? _directory;
    private const int CloseParallelism = 8;
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        try
        {
            foreach (var path in o.Databases)
            {
                _databases.Add(HostedDatabase.Open(path, o, loggers, time, registry.Metrics, registry.Feed, cancellationToken));
            }

            security.CheckOwnSites(_databases.Select(d => (d.Name, d.Site)));
        }
        catch
        {
            CloseDatabases();
            throw;
        }

        registry.Set(_databases.ToList());
        if (o.DatabaseDirectories.Count > 0)
        {
            // Served directories: a file that fails to open is reported and skipped, never fatal.
            _directory = new DatabaseDirectory(o, registry, _walWatch, loggers, time, d => security.CheckOwnSites([(d.Name, d.Site)]));
            _directory.Start();
        }

        var syncLogger = loggers.CreateLogger("EdgeSync.Agent.Sync");
        foreach (var hosted in _databases)
        {
            var capture = new CaptureLoop(hosted, _walWatch, _logger);
            _loops.Add(capture);
            capture.Start();
        }

        // One conversation per peer carries every database.
        var peers = new PeerSupervisor(registry, o, security.Tls, syncLogger, time, console.Report);
        _loops.Add(peers);
        peers.Start();
        registry.Peers = peers;
        var forgetting = new PeerForgetting(registry, o, syncLogger, time);
        _loops.Add(forgetting);
        forgetting.Start();

        Log.Started(_logger, string.Join(",", registry.All.Select(d => d.Site).Distinct()), o.EffectiveRole,
            string.Join(",", registry.All.Select(d => d.Name)), string.Join(",", o.StaticPeers), o.PeerDns);
        security.LogMode(o);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        Log.Stopping(_logger);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        registry.Set([], open: false);
        var found = _directory?.StopAsync() ?? Task.FromResult<IReadOnlyList<HostedDatabase>>([]);
        var loops = Task.WhenAll(_loops.Select(l => l.DisposeAsync().AsTask()).Append(found));
        try
        {
            await loops.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Out of time: close the databases under the loops still winding down (they stop on ObjectDisposedException).
        }

        _loops.Clear();
        if (found.IsCompletedSuccessfully)
        {
            _databases.AddRange(found.Result); // checkpointed and closed with the others
        }

        _walWatch.Dispose();
        double loopsMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        int databases = _databases.Count;
        int checkpointed = 0;

        // Each checkpoint ends in an fsync of its own file: several at once, so hundreds of databases close in seconds.
        Parallel.ForEach(_databases, new ParallelOptions { MaxDegreeOfParallelism = CloseParallelism }, hosted =>
        {
            if (Checkpoint(hosted))
            {
                Interlocked.Increment(ref checkpointed);
            }

            hosted.Dispose();
        });
        _databases.Clear();
        Log.Stopped(_logger, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, loopsMs, databases, checkpointed);
    }

    /// <summary>
    /// Copies the WAL into the database file and truncates it, so a stopped replica is one self-contained file
    /// (a backup, a copy or a restore of the volume needs nothing else). Does not wait for an application that holds
    /// the write lock: its own connections checkpoint later.
    /// </summary>
    private bool Checkpoint(HostedDatabase hosted)
    {
        try
        {
            using var connection = hosted.OpenWriter(TimeSpan.FromMilliseconds(200));
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var reader = command.ExecuteReader();
            return reader.Read() && reader.GetInt64(0) == 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            Log.CheckpointFailed(_logger, hosted.Name, e.Message);
            return false;
        }
    }

    private void CloseDatabases()
    {
        foreach (var db in _databases)
        {
            db.Dispose();
        }

        _databases.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
