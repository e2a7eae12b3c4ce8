using System.Diagnostics;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>
/// One <c>edgesync serve</c> process running inside a network namespace (<c>ip netns exec NS edgesync serve …</c>).
/// It listens on fixed ports of its own namespace, so a restart after <see cref="Kill"/> comes back on the same
/// addresses its peers already use. Everything it prints goes to a log file; dispose kills it.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly NetNode _node;
    private readonly string[] _serveArgs;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly object _logLock = new();
    private readonly StreamWriter _log;
    private Process? _process;
    private Task _pumps = Task.CompletedTask;

    public AgentProcess(string name, NetNode node, string logPath, IReadOnlyDictionary<string, string> environment, params string[] serveArgs)
    {
        Name = name;
        _node = node;
        _serveArgs = serveArgs;
        _environment = environment;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
    }

    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The sync (gRPC) and HTTP addresses the agent printed when it last started.</summary>
    public string? Grpc { get; private set; }

    public string? Http { get; private set; }

    public int Starts { get; private set; }

    /// <summary>
    /// A command the agent runs under from its next start on, e.g. <c>faketime -f +2h</c> (Debian's libfaketime shifts
    /// that process's wall clock); empty (the default) runs it directly. The wrapper's own process is killed with the agent.
    /// </summary>
    public IReadOnlyList<string> Wrapper { get; set; } = [];

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The <c>edgesync</c> apphost built next to the tests (the test project references the CLI).</summary>
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "edgesync");

    /// <summary>Starts the agent and waits (bounded) until it printed its bound addresses, i.e. it is listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        var psi = new ProcessStartInfo("ip", ["netns", "exec", _node.Ns.Name, .. Wrapper, Executable, "serve", .. _serveArgs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("EDGESYNC_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key); // the test runner's own EDGESYNC_* settings (seeds…) are not the agent's
        }

        // The apphost finds the runtime the tests run on even where dotnet is not installed system-wide.
        psi.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "../../.."));
        foreach (var (key, value) in _environment)
        {
            psi.Environment[key] = value;
        }

        Starts++;
        WriteLog($"=== start #{Starts}: {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + psi.FileName);
        _process = process;
        process.StandardInput.Close();
        var addresses = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                WriteLog(line);
                if (line.Contains("sync (gRPC)", StringComparison.Ordinal))
                {
                    Grpc = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
                }
                else if (line.TrimStart().StartsWith("http ", StringComparison.Ordinal))
                {
                    Http = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                    addresses.TrySetResult();
                }
            }

            addresses.TrySetException(new InvalidOperationException($"{Name} exited before printing its addresses; see {LogPath}"));
        }, CancellationToken.None);
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                WriteLog("stderr: " + line);
            }
        }, CancellationToken.None);
        _pumps = Task.WhenAll(stdout, stderr);
        try
        {
            await addresses.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not print its addresses within {StartTimeout.TotalSeconds} s; see {LogPath}");
        }
    }

    /// <summary><c>kill -9</c>: no shutdown, no WAL checkpoint, whatever was in flight is cut.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Linux
        }
        catch (InvalidOperationException)
        {
            // already exited
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"{Name} (pid {process.Id}) survived SIGKILL for 10 s");
        }

        _pumps.Wait(TimeSpan.FromSeconds(5));
        WriteLog($"=== killed (SIGKILL), exit code {process.ExitCode}");
        process.Dispose();
        _process = null;
    }

    /// <summary>
    /// Stops the agent as a service manager does: SIGTERM to <c>edgesync</c> itself (under a <see cref="Wrapper"/>, the
    /// wrapper's child), then waits (bounded) for it to exit; SIGKILL only if it does not.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        int pid = process.Id;
        while (ChildOf(pid) is { } child)
        {
            pid = child; // ip netns exec execs; a wrapper such as faketime forks the agent as its child
        }

        Shell.TryRun("kill", "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WriteLog($"=== SIGTERM to pid {pid}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
            WriteLog($"=== stopped, exit code {process.ExitCode}");
            process.Dispose();
            _process = null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            WriteLog("=== did not stop within 60 s of SIGTERM");
            Kill();
        }
    }

    private static int? ChildOf(int pid)
    {
        string path = $"/proc/{pid}/task/{pid}/children";
        string text = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        return text.Length == 0 ? null : int.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. <c>STOP</c>, <c>CONT</c>) to the agent: <c>kill -STOP</c> freezes it mid-whatever, as a stalled VM or a debugger does.</summary>
    public void Signal(string signal)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running");
        Shell.Run("kill", "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WriteLog($"=== SIG{signal}");
    }

    /// <summary>Kill -9, then start again with the same arguments, ports and database.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Kill();
        await StartAsync(cancellationToken);
    }

    /// <summary>Everything the agent printed so far, in every start (its log file).</summary>
    public string Log()
    {
        lock (_logLock)
        {
            _log.Flush();
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The last <paramref name="lines"/> lines of the agent's log (for a failure message).</summary>
    public string Tail(int lines)
    {
        lock (_logLock)
        {
            _log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(cannot read {LogPath}: {e.Message})";
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }

        lock (_logLock)
        {
            _log.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private void WriteLog(string line)
    {
        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
