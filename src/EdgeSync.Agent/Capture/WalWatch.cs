using EdgeSync.Agent.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeSync.Agent.Capture;

/// <summary>
/// Tells capture loops that a database's <c>-wal</c> file was written, through the kernel's file notifications
/// instead of polling: one watch per directory, shared by every database in it, dispatching by file name. On Linux
/// every watch of the process goes through its one inotify instance (<see cref="Inotify"/>), however many agents it
/// hosts; elsewhere each directory takes a <see cref="FileSystemWatcher"/>. Every commit in WAL mode, by any process on
/// this host, writes the <c>-wal</c> file, so a write wakes the loop at once; the loop still polls slowly in case a
/// notification is lost (queue overflow, a file system without notifications). When the process can get no inotify
/// instance (the user's <c>fs.inotify.max_user_instances</c> is reached) this is logged once and every database
/// polls. Owned by the agent; disposing it stops its watches.
/// </summary>
internal sealed class WalWatch : IDisposable
{
    private readonly Predicate<string>? _deliver;
    private readonly Func<Inotify>? _inotify;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WatchedDirectory> _directories = new(StringComparer.Ordinal);
    private bool _unavailableLogged;
    private bool _disposed;

    public WalWatch()
        : this(NullLogger.Instance)
    {
    }

    public WalWatch(ILogger logger)
        : this(logger, OperatingSystem.IsLinux() ? static () => Inotify.Shared : null, deliver: null)
    {
    }

    /// <summary>
    /// A watch that passes on only the notifications <paramref name="deliver"/> accepts (by <c>-wal</c> file name) and
    /// silently drops the others, as an overflowing kernel queue does without telling: how a test shows that capture
    /// still finds every commit through its safety poll.
    /// </summary>
    internal WalWatch(Predicate<string> deliver)
        : this(NullLogger.Instance, OperatingSystem.IsLinux() ? static () => Inotify.Shared : null, deliver)
    {
    }

    /// <summary>
    /// <paramref name="inotify"/> gives the process's inotify instance (or throws <see cref="IOException"/> when there is
    /// none); null watches with one <see cref="FileSystemWatcher"/> per directory.
    /// </summary>
    internal WalWatch(ILogger logger, Func<Inotify>? inotify, Predicate<string>? deliver)
    {
        _logger = logger;
        _inotify = inotify;
        _deliver = deliver;
    }

    /// <summary>
    /// Calls <paramref name="onWrite"/> (on a thread-pool thread) whenever the <c>-wal</c> file of the database at
    /// <paramref name="databasePath"/> is created or written, and <paramref name="onLost"/> when notifications may
    /// have been lost. Returns null when the directory cannot be watched (<paramref name="onUnavailable"/> is told why)
    /// or the process has no inotify instance (logged once); the caller then polls.
    /// </summary>
    public IDisposable? Subscribe(string databasePath, Action onWrite, Action onLost, Action<Exception> onUnavailable)
    {
        string full = System.IO.Path.GetFullPath(databasePath);
        string directory = System.IO.Path.GetDirectoryName(full) ?? "/";
        string wal = System.IO.Path.GetFileName(full) + "-wal";
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_directories.TryGetValue(directory, out var watched))
            {
                Inotify? inotify = null;
                try
                {
                    inotify = _inotify?.Invoke();
                }
                catch (IOException e)
                {
                    if (!_unavailableLogged)
                    {
                        _unavailableLogged = true;
                        Log.WatchUnavailable(_logger, e.Message);
                    }

                    return null;
                }

                watched = new WatchedDirectory(directory, _deliver);
                try
                {
                    watched.Start(inotify);
                }
                catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
                {
                    onUnavailable(e);
                    return null;
                }

                _directories.Add(directory, watched);
            }

            var subscription = new Subscription(this, watched, wal, onWrite, onLost);
            watched.Add(subscription);
            return subscription;
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            var watched = subscription.Watched;
            if (watched.Remove(subscription) && _directories.Remove(watched.Path))
            {
                watched.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var watched in _directories.Values)
            {
                watched.Dispose();
            }

            _directories.Clear();
        }
    }

    /// <summary>One watched directory and the databases in it that want to hear about their <c>-wal</c> file.</summary>
    private sealed class WatchedDirectory(string path, Predicate<string>? deliver) : IDisposable
    {
        private IDisposable? _source;
        private Dictionary<string, Subscription[]> _byFile = new(StringComparer.Ordinal);

        /// <summary>Starts hearing the directory's events: through <paramref name="inotify"/>, or a <see cref="FileSystemWatcher"/> when null.</summary>
        public void Start(Inotify? inotify) => _source = inotify is not null ? inotify.Add(Path, OnFile, OnLost) : FileSystemWatch(Path, OnFile, OnLost);

        private static FileSystemWatcher FileSystemWatch(string path, Action<string> onFile, Action onLost)
        {
            var watcher = new FileSystemWatcher(path, "*-wal")
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
                IncludeSubdirectories = false,
            };
            watcher.Changed += (_, e) => onFile(e.Name ?? "");
            watcher.Created += (_, e) => onFile(e.Name ?? "");
            watcher.Error += (_, _) => onLost();
            try
            {
                watcher.EnableRaisingEvents = true;
            }
            catch
            {
                watcher.Dispose();
                throw;
            }

            return watcher;
        }

        public string Path => path;

        // Copy-on-write, read without a lock by the watcher's thread; changed under WalWatch's lock.
        public void Add(Subscription s)
        {
            var next = new Dictionary<string, Subscription[]>(_byFile, StringComparer.Ordinal);
            next[s.File] = next.TryGetValue(s.File, out var existing) ? [.. existing, s] : [s];
            Volatile.Write(ref _byFile, next);
        }

        /// <summary>Removes a subscription; true when the directory has none left.</summary>
        public bool Remove(Subscription s)
        {
            var next = new Dictionary<string, Subscription[]>(_byFile, StringComparer.Ordinal);
            if (next.TryGetValue(s.File, out var existing))
            {
                var rest = existing.Where(x => x != s).ToArray();
                if (rest.Length == 0)
                {
                    next.Remove(s.File);
                }
                else
                {
                    next[s.File] = rest;
                }
            }

            Volatile.Write(ref _byFile, next);
            return next.Count == 0;
        }

        private void OnFile(string name)
        {
            if ((deliver is null || deliver(name)) && Volatile.Read(ref _byFile).TryGetValue(name, out var subscribers))
            {
                foreach (var s in subscribers)
                {
                    s.OnWrite();
                }
            }
        }

        // The kernel's queue overflowed (or the watch broke): every database here may have missed a write.
        private void OnLost()
        {
            foreach (var subscribers in Volatile.Read(ref _byFile).Values)
            {
                foreach (var s in subscribers)
                {
                    s.OnLost();
                }
            }
        }

        public void Dispose() => _source?.Dispose();
    }

    private sealed class Subscription(WalWatch owner, WatchedDirectory watched, string file, Action onWrite, Action onLost) : IDisposable
    {
        private int _disposed;

        public WatchedDirectory Watched => watched;

        public string File => file;

        public Action OnWrite => onWrite;

        public Action OnLost => onLost;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(this);
            }
        }
    }
}
