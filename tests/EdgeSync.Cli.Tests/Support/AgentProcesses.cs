using System.Collections.Concurrent;
using System.Diagnostics;

namespace EdgeSync.Cli.Tests.Support;

/// <summary>`edgesync serve` as real processes on loopback, killed at dispose.</summary>
public sealed class AgentProcesses : IDisposable
{
    private readonly List<Process> _agents = [];
    private readonly ConcurrentQueue<string> _problems = new(); // the agents' warnings and errors, for a failing test's message

    /// <summary>How long <see cref="Serve(string, string, string[])"/> waits for the agent to print its addresses (it opens its databases first).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The processes started so far, in order.</summary>
    public IReadOnlyList<Process> Started => _agents;

    /// <summary>
    /// Starts <c>edgesync serve ARGS --listen LISTEN --http-listen HTTPLISTEN</c> and waits for the addresses it prints.
    /// </summary>
    public (string Grpc, string Http) Serve(string listen, string httpListen, params string[] args) =>
        Serve(new Dictionary<string, string>(), listen, httpListen, args);

    /// <summary>As <see cref="Serve(string, string, string[])"/>, with these environment variables set for the agent.</summary>
    public (string Grpc, string Http) Serve(IReadOnlyDictionary<string, string> environment, string listen, string httpListen, params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "edgesync.exe" : "edgesync");
        Assert.SkipUnless(File.Exists(apphost), $"the edgesync executable is not next to the tests ({apphost})");
        var psi = new ProcessStartInfo(apphost, ["serve", .. args, "--listen", listen, "--http-listen", httpListen])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        var p = Process.Start(psi)!;
        _agents.Add(p);
        string? grpc = null, http = null;
        var deadline = DateTime.UtcNow + StartTimeout;
        while ((grpc is null || http is null) && DateTime.UtcNow < deadline)
        {
            var line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("agent exited: " + p.StandardError.ReadToEnd());
            if (line.Contains("sync (gRPC)", StringComparison.Ordinal))
            {
                grpc = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
            }
            else if (line.TrimStart().StartsWith("http ", StringComparison.Ordinal))
            {
                http = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            }
        }

        Assert.True(grpc is not null && http is not null, $"the agent did not print its addresses within {StartTimeout.TotalSeconds:0} s");
        int index = _agents.Count - 1;
        _ = DrainAsync(p.StandardOutput, index); // keep draining so the agent never blocks on a full pipe
        _ = DrainAsync(p.StandardError, index);
        return (grpc!, http!);
    }

    /// <summary>
    /// The last warnings and errors the agents logged (agent index, then the line), to put in a failing assertion's
    /// message: a CI log shows only that message, and a timeout alone does not say why.
    /// </summary>
    public string Problems() => _problems.IsEmpty ? "(the agents logged no warning or error)" : string.Join("\n", _problems);

    private async Task DrainAsync(StreamReader reader, int index)
    {
        try
        {
            while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                if (line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal)
                    || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))
                {
                    _problems.Enqueue($"[agent {index}] {(line.Length > 600 ? line[..600] + "…" : line)}");
                    while (_problems.Count > 40 && _problems.TryDequeue(out _))
                    {
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The agent was killed, or the test ended.
        }
    }

    public void Dispose()
    {
        foreach (var p in _agents)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }
    }
}
