using EdgeSync.Agent.Capture;
using EdgeSync.Agent.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Hosting;

/// <summary>
/// Serves the databases of <see cref="AgentOptions.DatabaseDirectories"/>: scans at start and every
/// <see cref="AgentOptions.DatabaseScanIntervalMs"/>; a new file is opened, its capture loop started and it joins the
/// registry (the peer conversations announce it); a removed file is let go. A file that fails to open is logged once and
/// exported as <c>edgesync_database_failed</c>, and tried again only when its size or modification time changes (an
/// application creating its tables), so a broken file costs nothing and stops nothing else. Empty files (being
/// created) and SQLite's side files are skipped.
/// </summary>
internal sealed class DatabaseDirectory : IAsyncDisposable
{
    private static readonly string[] SideFiles = ["-wal", "-shm", "-journal", ".lock"];

    private readonly AgentOptions _options;
    private readonly DatabaseRegistry _registry;
    private readonly WalWatch _walWatch;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (HostedDatabase Db, CaptureLoop Capture)> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTime Stamp, long Length, string Name, string Reason)> _failed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly HashSet<string> _unscannable = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    private readonly Action<HostedDatabase> _checkSite;

    /// <summary><paramref name="checkSite"/> throws <see cref="InvalidOperationException"/> when this agent may not serve a database's site (its certificate).</summary>
    public DatabaseDirectory(
        AgentOptions options, DatabaseRegistry registry, WalWatch walWatch, ILoggerFactory loggers, TimeProvider time, Action<HostedDatabase> checkSite)
    {
        _checkSite = checkSite;
        _options = options;
        _registry = registry;
        _walWatch = walWatch;
        _loggers = loggers;
        _logger = loggers.CreateLogger("EdgeSync.Agent");
        _time = time;
        registry.Metrics.ObserveFailedDatabases(Failed);
    }

    /// <summary>The files that failed to open, by database name, with the reason.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Failed()
    {
        lock (_gate)
        {
            return _failed.Values.Select(f => new KeyValuePair<string, string>(f.Name, f.Reason)).ToList();
        }
    }

    /// <summary>Scans once now, then every <see cref="AgentOptions.DatabaseScanIntervalMs"/> until disposed.</summary>
    public void Start()
    {
        Scan();
        _loop = Task.Run(() => RunAsync(_cts.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.DatabaseScanIntervalMs), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                Scan();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass: opens new files, lets go of removed ones.</summary>
    public void Scan()
    {
        var present = Matching();
        List<string> removed;
        lock (_gate)
        {
            removed = _served.Keys.Where(p => !present.Contains(p)).ToList();
            foreach (var path in _failed.Keys.Where(p => !present.Contains(p)).ToList())
            {
                _failed.Remove(path);
            }
        }

        foreach (var path in removed)
        {
            Release(path);
        }

        foreach (var path in present.Order(StringComparer.Ordinal))
        {
            if (_cts.IsCancellationRequested)
            {
                return;
            }

            bool known;
            lock (_gate)
            {
                known = _served.ContainsKey(path);
            }

            if (!known)
            {
                TryServe(path);
            }
        }
    }

    private HashSet<string> Matching()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _options.DatabaseDirectories)
        {
            string full = Path.GetFullPath(entry);
            string directory, pattern;
            if (Directory.Exists(full))
            {
                (directory, pattern) = (full, "*.db");
            }
            else
            {
                (directory, pattern) = (Path.GetDirectoryName(full) ?? full, Path.GetFileName(full));
                if (pattern.IndexOfAny(['*', '?']) < 0 || !Directory.Exists(directory))
                {
                    if (_unscannable.Add(entry))
                    {
                        Log.DirectoryScanFailed(_logger, entry, "no such directory (a directory, or a directory and a pattern such as /data/*.sqlite)");
                    }

                    continue;
                }
            }

            try
            {
                foreach (var file in Directory.EnumerateFiles(directory, pattern, SearchOption.TopDirectoryOnly))
                {
                    if (!SideFiles.Any(s => file.EndsWith(s, StringComparison.Ordinal)) && new FileInfo(file).Length > 0)
                    {
                        found.Add(file);
                    }
                }

                _unscannable.Remove(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (_unscannable.Add(entry))
                {
                    Log.DirectoryScanFailed(_logger, entry, e.Message);
                }
            }
        }

        return found;
    }

    private void TryServe(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            info.Refresh();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        string name = HostedDatabase.NameOf(path);
        lock (_gate)
        {
            if (_failed.TryGetValue(path, out var f) && f.Stamp == info.LastWriteTimeUtc && f.Length == info.Length)
            {
                return; // unchanged since it failed
            }
        }

        if (_registry.All.FirstOrDefault(d => d.Name == name) is { } other)
        {
            Fail(path, name, "name_taken", $"a database named '{name}' is already served ({other.Db.Path}); peers find databases by name");
            return;
        }

        HostedDatabase hosted;
        try
        {
            hosted = HostedDatabase.Open(path, _options, _loggers, _time, _registry.Metrics, _registry.Feed);
        }
        catch (Exception e) when (e is SqliteException or EdgeSync.Errors.EdgeSyncException or IOException or UnauthorizedAccessException)
        {
            Fail(path, name, ReasonOf(e), e.Message);
            return;
        }

        try
        {
            _checkSite(hosted);
        }
        catch (InvalidOperationException e)
        {
            hosted.Dispose();
            Fail(path, name, "certificate", e.Message);
            return;
        }

        var capture = new CaptureLoop(hosted, _walWatch, _logger);
        lock (_gate)
        {
            _failed.Remove(path);
            _served[path] = (hosted, capture);
        }

        capture.Start();
        _registry.Add(hosted);
        Log.DatabaseAdded(_logger, hosted.Name, path);
    }

    private static string ReasonOf(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case SqliteException { SqliteErrorCode: 26 }:
                    return "not_a_database";
                case SqliteException { SqliteErrorCode: 11 }:
                    return "corrupt";
                case EdgeSync.Errors.SchemaException:
                    return "schema";
            }
        }

        return "io";
    }

    private void Fail(string path, string name, string reason, string detail)
    {
        var info = new FileInfo(path);
        lock (_gate)
        {
            _failed[path] = (info.Exists ? info.LastWriteTimeUtc : default, info.Exists ? info.Length : 0, name, reason);
        }

        _registry.Metrics.Error("database_open", "local");
        Log.DatabaseFailed(_logger, path, reason, detail);
    }

    private void Release(string path)
    {
        (HostedDatabase Db, CaptureLoop Capture) served;
        lock (_gate)
        {
            if (!_served.Remove(path, out served))
            {
                return;
            }
        }

        _registry.Remove(served.Db);
        served.Capture.DisposeAsync().AsTask().GetAwaiter().GetResult();
        served.Db.Dispose();
        Log.DatabaseRemoved(_logger, served.Db.Name, path);
    }

    /// <summary>Stops scanning and capturing; returns the databases still served, for the agent to checkpoint and close.</summary>
    public async Task<IReadOnlyList<HostedDatabase>> StopAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return [];
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        List<(HostedDatabase Db, CaptureLoop Capture)> served;
        lock (_gate)
        {
            served = _served.Values.ToList();
            _served.Clear();
        }

        await Task.WhenAll(served.Select(s => s.Capture.DisposeAsync().AsTask())).ConfigureAwait(false);
        _cts.Dispose();
        return served.Select(s => s.Db).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var db in await StopAsync().ConfigureAwait(false))
        {
            db.Dispose();
        }
    }
}
