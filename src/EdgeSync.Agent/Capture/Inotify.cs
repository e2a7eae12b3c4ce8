using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeSync.Agent.Capture;

/// <summary>
/// The process's one inotify instance (Linux), shared by every agent hosted in the process and every directory they
/// watch. A user may hold only <c>fs.inotify.max_user_instances</c> instances (128 by default) and a
/// <see cref="FileSystemWatcher"/> takes one each, so a process hosting a fleet of agents (<c>edgesync demo</c>, the
/// scale tests) ran out; directories cost watches instead (<c>fs.inotify.max_user_watches</c>, far larger). A
/// dedicated thread reads the events and calls the listeners of the directory they name, on that thread; a queue
/// overflow is passed to every listener. Lives as long as the process.
/// </summary>
internal sealed class Inotify
{
    private const int InCloexec = 0x80000;
    private const uint InModify = 0x2, InMovedTo = 0x80, InCreate = 0x100, InQueueOverflow = 0x4000, InIgnored = 0x8000, InOnlyDir = 0x0100_0000;
    private const int EventHeader = 16; // wd, mask, cookie, len
    private const int EINTR = 4;

    private static readonly Lazy<Inotify> SharedInstance = new(() => new Inotify(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _fd;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Watch> _byPath = new(StringComparer.Ordinal);
    private Dictionary<int, Watch> _byDescriptor = []; // copy-on-write: read without the lock by the reading thread

    private Inotify()
    {
        _fd = inotify_init1(InCloexec);
        if (_fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"inotify_init1 failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); "
                + "a user may hold fs.inotify.max_user_instances instances");
        }

        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "EdgeSync inotify" };
        reader.Start();
    }

    /// <summary>
    /// The process's instance, created at first use. Throws <see cref="IOException"/> when none could be created (the
    /// user's instance limit is reached); a process that got none does not try again.
    /// </summary>
    public static Inotify Shared => SharedInstance.Value;

    /// <summary>
    /// Calls <paramref name="onFile"/> with the name of each file created, written or moved into
    /// <paramref name="directory"/>, and <paramref name="onLost"/> when events may have been lost (queue overflow, the
    /// directory removed). Dispose the result to stop. Throws <see cref="IOException"/> when the directory cannot be
    /// watched (missing, or the user's watch limit reached).
    /// </summary>
    public IDisposable Add(string directory, Action<string> onFile, Action onLost)
    {
        var listener = new Listener(this, directory, onFile, onLost);
        lock (_gate)
        {
            if (!_byPath.TryGetValue(directory, out var watch))
            {
                int wd = inotify_add_watch(_fd, NullTerminated(directory), InModify | InCreate | InMovedTo | InOnlyDir);
                if (wd < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new IOException($"inotify_add_watch({directory}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                }

                // The kernel gives one descriptor per inode: a second path to the same directory (a symlink) shares it.
                watch = _byDescriptor.GetValueOrDefault(wd) ?? new Watch(wd);
                _byPath.Add(directory, watch);
                watch.Paths++;
                SetDescriptors(d => d[wd] = watch);
            }

            listener.Watch = watch;
            watch.Listeners = [.. watch.Listeners, listener];
        }

        return listener;
    }

    private void Remove(Listener listener)
    {
        lock (_gate)
        {
            var watch = listener.Watch;
            if (watch is null || !_byPath.TryGetValue(listener.Directory, out var current) || current != watch)
            {
                return; // the directory's watch ended meanwhile (it was removed)
            }

            watch.Listeners = [.. watch.Listeners.Where(l => l != listener)];
            if (watch.Listeners.Any(l => l.Directory == listener.Directory))
            {
                return;
            }

            _byPath.Remove(listener.Directory);
            if (--watch.Paths == 0)
            {
                _ = inotify_rm_watch(_fd, watch.Descriptor); // failure means the kernel ended it already
                SetDescriptors(d => d.Remove(watch.Descriptor));
            }
        }
    }

    private void SetDescriptors(Action<Dictionary<int, Watch>> change)
    {
        var next = new Dictionary<int, Watch>(_byDescriptor);
        change(next);
        Volatile.Write(ref _byDescriptor, next);
    }

    private void ReadLoop()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint read = ReadEvents(_fd, buffer, buffer.Length);
            if (read < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                LostAll(); // the descriptor broke: listeners fall back to their safety polls
                return;
            }

            Dispatch(buffer.AsSpan(0, (int)read));
        }
    }

    private void Dispatch(ReadOnlySpan<byte> events)
    {
        var byDescriptor = Volatile.Read(ref _byDescriptor);
        while (events.Length >= EventHeader)
        {
            int wd = BinaryPrimitives.ReadInt32LittleEndian(events);
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(events[4..]);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(events[12..]);
            var name = events.Slice(EventHeader, length);
            events = events[(EventHeader + length)..];
            if ((mask & InQueueOverflow) != 0)
            {
                LostAll();
            }
            else if (byDescriptor.TryGetValue(wd, out var watch))
            {
                if ((mask & InIgnored) != 0)
                {
                    Ended(watch);
                }
                else if (name.IndexOf((byte)0) is var end && (end < 0 ? name : name[..end]) is { Length: > 0 } file)
                {
                    string fileName = Encoding.UTF8.GetString(file);
                    foreach (var listener in watch.Listeners)
                    {
                        listener.OnFile(fileName);
                    }
                }
            }
        }
    }

    /// <summary>The kernel ended a watch (its directory was removed or unmounted): its listeners lose their events.</summary>
    private void Ended(Watch watch)
    {
        Listener[] listeners;
        lock (_gate)
        {
            listeners = watch.Listeners;
            foreach (var path in _byPath.Where(p => p.Value == watch).Select(p => p.Key).ToList())
            {
                _byPath.Remove(path);
            }

            SetDescriptors(d => d.Remove(watch.Descriptor));
        }

        foreach (var listener in listeners)
        {
            listener.OnLost();
        }
    }

    private void LostAll()
    {
        foreach (var watch in Volatile.Read(ref _byDescriptor).Values)
        {
            foreach (var listener in watch.Listeners)
            {
                listener.OnLost();
            }
        }
    }

    private static byte[] NullTerminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    /// <summary>One watched directory (one kernel watch descriptor) and who listens to it.</summary>
    private sealed class Watch(int descriptor)
    {
        public int Descriptor => descriptor;

        /// <summary>Directory paths that name this watch (more than one through symlinks).</summary>
        public int Paths { get; set; }

        /// <summary>Copy-on-write under the lock; read without it by the reading thread.</summary>
        public Listener[] Listeners { get; set; } = [];
    }

    private sealed class Listener(Inotify owner, string directory, Action<string> onFile, Action onLost) : IDisposable
    {
        private int _disposed;

        public string Directory => directory;

        public Watch? Watch { get; set; }

        public Action<string> OnFile => onFile;

        public Action OnLost => onLost;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(this);
            }
        }
    }

    // DllImport, not LibraryImport: every argument is blittable (paths go as NUL-terminated UTF-8 bytes), so nothing is
    // marshalled and the assembly needs no unsafe code.
    [DllImport("libc", SetLastError = true)]
    private static extern int inotify_init1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int inotify_add_watch(int fd, byte[] pathname, uint mask);

    [DllImport("libc", SetLastError = true)]
    private static extern int inotify_rm_watch(int fd, int wd);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint ReadEvents(int fd, [Out] byte[] buffer, nint count);
}
