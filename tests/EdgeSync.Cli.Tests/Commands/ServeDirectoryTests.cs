using System.Diagnostics;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>edgesync serve --db-dir</c> as real processes, with the <c>sqlite3</c> shell as the application: two agents serve
/// a directory each; a corrupt file is reported and skipped, a database the shell creates while they run is picked up
/// and synced, and a removed file is let go.
/// </summary>
public sealed class ServeDirectoryTests : IDisposable
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["EdgeSync__Tables__config__Policy"] = "lww",
        ["EdgeSync__DatabaseScanIntervalMs"] = "200",
        ["EdgeSync__SyncIntervalMs"] = "300",
        ["EdgeSync__RetryBaseDelayMs"] = "50",
        ["EdgeSync__RetryMaxDelayMs"] = "500",
    };

    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task ServeDirectory_SkipsACorruptFile_PicksUpANewDatabase_AndLetsGoOfARemovedOne()
    {
        string? sqlite3 = OnPath("sqlite3");
        Assert.SkipWhen(sqlite3 is null, "needs the sqlite3 shell: apt-get install sqlite3");
        string dirA = _dir.File("edge-0"), dirB = _dir.File("edge-1");
        Directory.CreateDirectory(dirA);
        Directory.CreateDirectory(dirB);
        const string Table = "CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT, updated_by TEXT);";
        foreach (var dir in new[] { dirA, dirB })
        {
            Sql(sqlite3!, Path.Combine(dir, "plant.db"), "PRAGMA journal_mode=WAL; " + Table);
        }

        // Not a database: reported, and the agent serves the rest.
        await File.WriteAllBytesAsync(Path.Combine(dirA, "broken.db"), Enumerable.Range(0, 8192).Select(i => (byte)(i * 31)).ToArray(), TestContext.Current.CancellationToken);

        var agentA = _agents.Serve(Environment, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db-dir", dirA, "--site", "f1/edge-0");
        var agentB = _agents.Serve(Environment, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db-dir", dirB, "--site", "f1/edge-1", "--peer", agentA.Grpc);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        Sql(sqlite3!, Path.Combine(dirA, "plant.db"), "INSERT INTO config VALUES ('line', 'running', 'app-a');");
        await UntilAsync(() => Sql(sqlite3!, Path.Combine(dirB, "plant.db"), "SELECT value FROM config WHERE key = 'line';") == "running",
            "the write into a's plant.db reached b");
        string metricsA = await http.GetStringAsync(new Uri(agentA.Http + "/metrics"), TestContext.Current.CancellationToken);
        Assert.Contains(Series(metricsA, "edgesync_database_failed"), l => l.Contains("database=\"broken\"", StringComparison.Ordinal)
            && l.Contains("reason=\"not_a_database\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));

        // The application creates a new database on both sides while the agents run.
        Sql(sqlite3!, Path.Combine(dirB, "line2.db"), "PRAGMA journal_mode=WAL; " + Table);
        Sql(sqlite3!, Path.Combine(dirA, "line2.db"), "PRAGMA journal_mode=WAL; " + Table + " INSERT INTO config VALUES ('speed', '40', 'app-a');");
        await UntilAsync(() => Sql(sqlite3!, Path.Combine(dirB, "line2.db"), "SELECT value FROM config WHERE key = 'speed';") == "40",
            "a row in the database created while serving reached b");
        Sql(sqlite3!, Path.Combine(dirB, "line2.db"), "UPDATE config SET value = '45', updated_by = 'app-b' WHERE key = 'speed';");
        await UntilAsync(() => Sql(sqlite3!, Path.Combine(dirA, "line2.db"), "SELECT value FROM config WHERE key = 'speed';") == "45",
            "and back from b to a");

        // Removing a file: the agent lets go of it (its capture gauge disappears), the others keep syncing.
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(Path.Combine(dirA, "plant.db" + suffix));
        }

        Assert.Contains(Series(metricsA, "edgesync_capture_heartbeat_age_seconds"), l => l.Contains("database=\"plant\"", StringComparison.Ordinal));
        await UntilAsync(async () => !Series(await http.GetStringAsync(new Uri(agentA.Http + "/metrics"), TestContext.Current.CancellationToken),
            "edgesync_capture_heartbeat_age_seconds").Any(l => l.Contains("database=\"plant\"", StringComparison.Ordinal)), "a let go of the removed plant.db");
        Sql(sqlite3!, Path.Combine(dirA, "line2.db"), "INSERT INTO config VALUES ('after', 'removal', 'app-a');");
        await UntilAsync(() => Sql(sqlite3!, Path.Combine(dirB, "line2.db"), "SELECT count(*) FROM config WHERE key = 'after';") == "1",
            "line2 still syncs after plant.db was removed on a");
    }

    /// <summary>The lines of one metric in a Prometheus text exposition.</summary>
    private static List<string> Series(string metrics, string name) =>
        metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal)).Select(l => l.TrimEnd()).ToList();

    private Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    private async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out after 60 s waiting for: {what}\nthe agents' warnings and errors:\n{_agents.Problems()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Runs one statement list in the sqlite3 shell (waiting up to 10 s for a lock) and returns its output.</summary>
    private static string Sql(string sqlite3, string db, string sql)
    {
        var psi = new ProcessStartInfo(sqlite3, ["-cmd", ".timeout 10000", db, sql]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"sqlite3 {db} did not finish");
        Assert.True(p.ExitCode == 0, $"sqlite3 {db} \"{sql}\" failed: {stderr}");
        return stdout.Trim();
    }

    private static string? OnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
