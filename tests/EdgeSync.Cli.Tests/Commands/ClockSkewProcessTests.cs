using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// A replica's clock runs 2 h ahead and is then fixed (issue 15, item 2), with real processes: the <c>sqlite3</c> shell
/// is the application, B is an <c>edgesync serve</c> agent, and A syncs with <c>edgesync sync --peer</c>, first under
/// Debian's <c>faketime</c> (libfaketime) shifting only that process's clock, then without it.
/// </summary>
public sealed class ClockSkewProcessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void ReplicaThatRanTwoHoursAhead_AfterItsClockIsFixed_DeliversBothPeriods_AndLosesToALaterWrite()
    {
        var faketime = OnPath("faketime");
        var sqlite3 = OnPath("sqlite3");
        Assert.SkipWhen(faketime is null, "needs Debian's faketime (libfaketime): apt-get install faketime");
        Assert.SkipWhen(sqlite3 is null, "needs the sqlite3 shell: apt-get install sqlite3");
        var edgesync = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "edgesync.exe" : "edgesync");
        Assert.SkipUnless(File.Exists(edgesync), $"the edgesync executable is not next to the tests ({edgesync})");

        Directory.CreateDirectory(_dir.File("edge-0"));
        Directory.CreateDirectory(_dir.File("edge-1"));
        string a = _dir.File("edge-0/plant.db"), b = _dir.File("edge-1/plant.db");
        foreach (var (path, site) in new[] { (a, "f1/edge-0"), (b, "f1/edge-1") })
        {
            using var app = new AppDatabase(path);
            Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        var agentB = _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", b);

        // A's process runs 2 h ahead: what it seals is stamped in the future, and B refuses it while that lasts.
        Sql(sqlite3!, a, "INSERT INTO config VALUES ('mode', 'set while ahead', 'app-a'); INSERT INTO telemetry VALUES (1, 'plc-a', 1, 0.5);");
        var ahead = Run(faketime!, "-f", "+2h", edgesync, "sync", "--db", a, "--peer", agentB.Grpc);
        Assert.NotEqual(0, ahead.ExitCode);
        Assert.Equal("0", Sql(sqlite3!, b, "SELECT count(*) FROM telemetry;"));

        // Restarted with the right clock: it writes again, and one ordinary round delivers both periods.
        Sql(sqlite3!, a, "INSERT INTO telemetry VALUES (2, 'plc-a', 2, 1.5);");
        var fixedRound = Run(edgesync, "sync", "--db", a, "--peer", agentB.Grpc);
        Assert.Equal(0, fixedRound.ExitCode);
        Assert.Equal("2", Sql(sqlite3!, b, "SELECT count(*) FROM telemetry;"));
        Assert.Equal("set while ahead", Sql(sqlite3!, b, "SELECT value FROM config WHERE key = 'mode';"));

        // A later write on B beats the value stamped in the future, on both replicas.
        Sql(sqlite3!, b, "UPDATE config SET value = 'set later on b', updated_by = 'app-b' WHERE key = 'mode';");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string valueOnA;
        do
        {
            Assert.Equal(0, Run(edgesync, "sync", "--db", a, "--peer", agentB.Grpc).ExitCode);
            valueOnA = Sql(sqlite3!, a, "SELECT value FROM config WHERE key = 'mode';");
        }
        while (valueOnA != "set later on b" && DateTime.UtcNow < deadline);

        Assert.Equal("set later on b", valueOnA);
        Assert.Equal("set later on b", Sql(sqlite3!, b, "SELECT value FROM config WHERE key = 'mode';"));
        Assert.Equal("2", Sql(sqlite3!, a, "SELECT count(*) FROM telemetry;"));
    }

    /// <summary>The sqlite3 shell as the application: waits up to 10 s for the agent's write lock, as an application would.</summary>
    private static string Sql(string sqlite3, string db, string sql)
    {
        var result = Run(sqlite3, "-cmd", ".timeout 10000", db, sql);
        Assert.True(result.ExitCode == 0, $"sqlite3 failed: {result.Stderr}");
        return result.Stdout.Trim();
    }

    private static CliResult Run(string file, params string[] args) => ProcessRunner.Run(file, args);

    private static string? OnPath(string name) => Sqlite3Shell.OnPath(name);
}
