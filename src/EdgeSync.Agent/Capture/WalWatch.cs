namespace EdgeSync.Agent.Capture;

/// <summary>
/// Tells capture loops that a database's <c>-wal</c> file was written, through the kernel's file notifications
/// (inotify on Linux) instead of polling: one <see cref="FileSystemWatcher"/> per directory, shared by every database
/// in it, dispatching by file name. Every commit in WAL mode, by any process on this host, writes the <c>-wal</c>
/// file, so a write wakes the loop at once; the loop still polls slowly in case a notification is lost (queue
/// overflow, a file system without notifications). Owned by the agent; disposing it stops every watcher.
/// </summary>
internal sealed class WalWatch : IDisposable
{
    private readonly Predicate<string>? _deliver;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WatchedDirectory> _directories = new(StringComparer.Ordinal);
    private bool _disposed;

    public WalWatch()
    {
    }

    /// <summary>
    /// A watch that passes on only the notifications <paramref name="deliver"/> accepts (by <c>-wal</c> file name) and
    /// silently drops the others, as an overflowing kernel queue does without telling: how a test shows that capture
    /// still finds every commit through its safety poll.
    /// </summary>
    internal WalWatch(Predicate<string> deliver)
    {
        _deliver = deliver;
    }

    /// <summary>
    /// Calls <paramref name="onWrite"/> (on a thread-pool thread) whenever the <c>-wal</c> file of the database at
    /// <paramref name="databasePath"/> is created or written, and <paramref name="onLost"/> when notifications may
    /// have been lost. Returns null when the directory cannot be watched; the caller then polls.
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
                try
                {
                    watched = new WatchedDirectory(directory, _deliver);
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
    private sealed class WatchedDirectory : IDisposable
    {
        private readonly FileSystemWatcher _watcher;
        private readonly Predicate<string>? _deliver;
        private Dictionary<string, Subscription[]> _byFile = new(StringComparer.Ordinal);

        public WatchedDirectory(string path, Predicate<string>? deliver)
        {
            Path = path;
            _deliver = deliver;
            _watcher = new FileSystemWatcher(path, "*-wal")
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
                IncludeSubdirectories = false,
            };
            _watcher.Changed += OnEvent;
            _watcher.Created += OnEvent;
            _watcher.Error += OnError;
            try
            {
                _watcher.EnableRaisingEvents = true;
            }
            catch
            {
                _watcher.Dispose();
                throw;
            }
        }

        public string Path { get; }

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

        private void OnEvent(object sender, FileSystemEventArgs e)
        {
            if (e.Name is { } name && (_deliver is null || _deliver(name)) && Volatile.Read(ref _byFile).TryGetValue(name, out var subscribers))
            {
                foreach (var s in subscribers)
                {
                    s.OnWrite();
                }
            }
        }

        // The kernel's queue overflowed (or the watch broke): every database here may have missed a write.
        private void OnError(object sender, ErrorEventArgs e)
        {
            foreach (var subscribers in Volatile.Read(ref _byFile).Values)
            {
                foreach (var s in subscribers)
                {
                    s.OnLost();
                }
            }
        }

        public void Dispose() => _watcher.Dispose();
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
