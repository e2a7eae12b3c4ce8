using System.Diagnostics;
using System.Globalization;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// An agent in its own process: <c>dotnet edgesync.dll serve …</c> from the CLI's Release build
/// (<c>dotnet build src/EdgeSync.Cli -c Release</c> first; <c>EDGESYNC_CLI</c> may name another edgesync.dll), so its memory can be read from <c>/proc/&lt;pid&gt;/status</c>. Its output is drained and the last
/// lines kept for error messages. Disposing kills the process this class started (by its id) and waits for it.
/// </summary>
internal sealed class ChildAgent : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ChildAgent(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildAgent Start(string path, string site, IReadOnlyList<string> peers) =>
        Start([path], site, peers, "http://127.0.0.1:0", "http://127.0.0.1:0", new Dictionary<string, string>());

    /// <summary>An agent serving <paramref name="paths"/> on the given addresses, with extra environment (e.g. <c>EdgeSync__MaxStreamsPerPeer</c>).</summary>
    public static ChildAgent Start(
        IReadOnlyList<string> paths, string site, IReadOnlyList<string> peers, string listen, string httpListen, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var arg in new[] { CliPath(), "serve", "--site", site, "--listen", listen, "--http-listen", httpListen })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var path in paths)
        {
            start.ArgumentList.Add("--db");
            start.ArgumentList.Add(path);
        }

        foreach (var peer in peers)
        {
            start.ArgumentList.Add("--peer");
            start.ArgumentList.Add(peer);
        }

        var process = Process.Start(start) ?? throw new BenchmarkFailedException("could not start 'dotnet edgesync.dll serve'");
        var child = new ChildAgent(process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A field of <c>/proc/&lt;pid&gt;/status</c> in MiB (e.g. <c>VmHWM</c>: peak resident set; <c>VmRSS</c>: current).</summary>
    public double StatusMiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
            }
        }

        throw new BenchmarkFailedException($"/proc/{_process.Id}/status has no {field}");
    }

    /// <summary>
    /// CPU time the process has used so far (user + system), in seconds: fields 14 and 15 of <c>/proc/&lt;pid&gt;/stat</c>,
    /// in clock ticks of 1/100 s (USER_HZ on Linux).
    /// </summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": fields[0] is field 3
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public string Tail()
    {
        lock (_tail)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 20)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>The CLI's Release output next to this repository's bench build: <c>src/EdgeSync.Cli/bin/Release/net10.0/edgesync.dll</c>.</summary>
    private static string CliPath()
    {
        if (Environment.GetEnvironmentVariable("EDGESYNC_CLI") is { Length: > 0 } given)
        {
            BenchmarkFailedException.Check(File.Exists(given), $"EDGESYNC_CLI names {given}, which does not exist");
            return given;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeSync.slnx")))
            {
                var dll = Path.Combine(dir.FullName, "src", "EdgeSync.Cli", "bin", "Release", "net10.0", "edgesync.dll");
                BenchmarkFailedException.Check(File.Exists(dll), $"{dll} not found; build it with 'dotnet build src/EdgeSync.Cli -c Release'");
                return dll;
            }
        }

        throw new BenchmarkFailedException("EdgeSync.slnx not found above the bench's output directory");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
