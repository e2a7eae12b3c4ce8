using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// `edgesync serve --db-dir` hosting 500 databases, stopped as Kubernetes stops a pod: SIGTERM, then SIGKILL after
/// terminationGracePeriodSeconds (60 in deploy/base/statefulset.yaml). The agent must be gone before that, while a live
/// peer is sending it batches and another peer never answers, with every database whole, its WAL checkpointed into the
/// file, and everything it held before the stop still syncing once it is started again.
/// </summary>
public sealed class ServeShutdownTests : IDisposable
{
    private const int Databases = 500;
    private const int Written = 5; // databases the application on b writes into while a is stopped
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["EdgeSync__Tables__telemetry__Policy"] = "append",
        ["EdgeSync__Tables__config__Policy"] = "lww",
    };

    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new() { StartTimeout = TimeSpan.FromSeconds(180) }; // 500 databases open before the agent listens

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Sigterm_With500DatabasesWhileAPeerSendsBatches_ExitsWithEveryDatabaseIntactCheckpointedAndStillSyncing()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "sends SIGTERM with kill(1)");
        var ct = TestContext.Current.CancellationToken;
        string dirA = _dir.File("a"), dirB = _dir.File("b");
        string template = _dir.File("template.db");
        using (new AppDatabase(template))
        {
        }

        foreach (var dir in new[] { dirA, dirB })
        {
            Directory.CreateDirectory(dir);
            for (int i = 0; i < Databases; i++)
            {
                File.Copy(template, Path.Combine(dir, $"line-{i:D3}.db"));
            }
        }

        // A peer that accepts TCP connections (up to its backlog) and never says a word: its conversation hangs.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        string deadPeer = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var a = _agents.Serve(Environment, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db-dir", dirA, "--site", "f1/edge-0", "--peer", deadPeer);
        var agentA = _agents.Started[^1];
        var b = _agents.Serve(Environment, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db-dir", dirB, "--site", "f1/edge-1", "--peer", a.Grpc);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await UntilAsync(async () => await HostedAsync(http, a.Http) == Databases && await HostedAsync(http, b.Http) == Databases,
            $"both agents host all {Databases} databases");

        using (var app = new AppDatabase(Path.Combine(dirA, "line-000.db")))
        {
            app.Exec("INSERT INTO config VALUES ('line', 'running', 'plc')");
        }

        // The application on b keeps writing into a few databases, so a is receiving batches when it is told to stop.
        var written = Enumerable.Range(0, Written).Select(i => Path.Combine(dirB, $"line-{i * (Databases / Written):D3}.db")).ToList();
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = Task.Run(() => Write(written, stopWriting.Token), ct);
        string first = Path.Combine(dirA, Path.GetFileName(written[0]));
        await UntilAsync(() => Count(first) > 0, "b's rows are reaching a");

        var stopwatch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", agentA.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(ct);
            Assert.Equal(0, kill.ExitCode);
        }

        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            grace.CancelAfter(GracePeriod);
            await agentA.WaitForExitAsync(grace.Token);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"a exited {stopwatch.Elapsed.TotalSeconds:N1} s after SIGTERM with code {agentA.ExitCode}, hosting {Databases} databases");
        Assert.Equal(0, agentA.ExitCode);
        foreach (var path in Directory.GetFiles(dirA, "*.db"))
        {
            var wal = new FileInfo(path + "-wal");
            long walBytes = wal.Exists ? wal.Length : 0;
            Assert.True(walBytes == 0, $"{path}-wal still holds {walBytes} bytes: not checkpointed");
            using var app = new AppDatabase(path);
            Assert.Equal("ok", app.Scalar("PRAGMA integrity_check"));
        }

        await stopWriting.CancelAsync();
        long[] rowsOnB = await writer;

        // Started again on the same files, a has kept what it had and catches up on what b wrote since.
        var again = _agents.Serve(Environment, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db-dir", dirA, "--site", "f1/edge-0", "--peer", b.Grpc);
        for (int i = 0; i < Written; i++)
        {
            string onA = Path.Combine(dirA, Path.GetFileName(written[i]));
            long expected = rowsOnB[i];
            await UntilAsync(() => Count(onA) == expected, $"{Path.GetFileName(onA)} on a holds all {expected} rows b wrote");
        }

        using (var line = new AppDatabase(Path.Combine(dirA, "line-000.db")))
        {
            Assert.Equal("running", line.Scalar("SELECT value FROM config WHERE key = 'line'"));
        }

        Assert.Equal(Databases, await HostedAsync(http, again.Http));
    }

    /// <summary>Inserts into each database in turn, one row per transaction, until cancelled; returns the rows committed per database.</summary>
    private static long[] Write(List<string> paths, CancellationToken stop)
    {
        var apps = paths.Select(p => new AppDatabase(p)).ToList();
        var rows = new long[paths.Count];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < apps.Count; i++)
                {
                    apps[i].Exec("INSERT INTO telemetry(device, ts, value) VALUES ('plc', $1, 0.5)", rows[i] + 1);
                    rows[i]++;
                }

                Thread.Sleep(5);
            }

            return rows;
        }
        finally
        {
            foreach (var app in apps)
            {
                app.Dispose();
            }
        }
    }

    private static long Count(string path)
    {
        using var app = new AppDatabase(path);
        return (long)app.Scalar("SELECT count(*) FROM telemetry")!;
    }

    /// <summary>Databases the agent hosts: one capture heartbeat series each in its /metrics.</summary>
    private static async Task<int> HostedAsync(HttpClient http, string url)
    {
        string text = await http.GetStringAsync(new Uri(url + "/metrics"), TestContext.Current.CancellationToken);
        return text.Split('\n').Count(l => l.StartsWith("edgesync_capture_heartbeat_age_seconds{", StringComparison.Ordinal));
    }

    private static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"timed out after 120 s waiting for: {what}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
