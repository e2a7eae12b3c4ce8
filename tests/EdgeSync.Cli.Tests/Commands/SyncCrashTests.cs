using System.Diagnostics;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// A crash at any point neither loses nor double-applies: `edgesync sync` runs as a real process and is killed with
/// SIGKILL at random moments mid-transfer; then a clean run completes, and both files must hold exactly the same rows.
/// </summary>
public sealed class SyncCrashTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Sync_KilledMidTransferAgainAndAgain_ResumesWithNoLossAndNoDuplicates()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "edgesync.exe" : "edgesync");
        Assert.SkipUnless(File.Exists(apphost), $"the edgesync executable is not next to the tests ({apphost})");
        string a = _dir.File("a.db"), b = _dir.File("b.db");
        const int Rows = 1_000_000; // enough that a transfer takes longer than the kill windows below
        using (var app = new AppDatabase(a))
        {
            app.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
                + "INSERT INTO telemetry SELECT i, 'dev', i, 0.5 FROM n", (long)Rows);
        }

        using (var app = new AppDatabase(b))
        {
            app.Exec("INSERT INTO config VALUES ('mode', 'auto', 'b')");
        }

        Assert.Equal(0, CliRunner.Run("init", "--db", a, "--site", "a", "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        Assert.Equal(0, CliRunner.Run("init", "--db", b, "--site", "b", "--table", "telemetry=append", "--table", "config=lww").ExitCode);

        var rng = new Random(20261126);
        int killed = 0;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            using var p = Process.Start(new ProcessStartInfo(apphost, ["sync", "--db", b, "--with", a])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            bool exited = p.WaitForExit(rng.Next(150, 900));
            if (!exited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                killed++;
            }
        }

        Assert.True(killed > 0, "no run was killed mid-transfer; the test proved nothing");
        Assert.Equal(0, CliRunner.Run("sync", "--db", b, "--with", a).ExitCode);
        using var checkA = new AppDatabase(a);
        using var checkB = new AppDatabase(b);
        Assert.Equal("ok", checkA.Scalar("PRAGMA integrity_check"));
        Assert.Equal("ok", checkB.Scalar("PRAGMA integrity_check"));
        Assert.Equal((long)Rows, checkB.Scalar("SELECT count(*) FROM telemetry"));
        Assert.Equal((long)Rows, checkB.Scalar("SELECT count(DISTINCT id) FROM telemetry"));
        Assert.Equal("auto", checkA.Scalar("SELECT value FROM config WHERE key = 'mode'"));
        Assert.Equal(checkA.Checksum(), checkB.Checksum());
    }
}
