using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class BackupRestoreCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void BackupThenRestore_RejoinsAsTheNextIncarnation()
    {
        string db = _dir.File("plant.db"), backup = _dir.File("plant.backup");
        using (var app = new AppDatabase(db))
        {
            app.Exec("INSERT INTO config VALUES ('mode', 'auto', 'x')");
        }

        Assert.Equal(0, CliRunner.Run("init", "--db", db, "--site", "f1/edge-0", "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        var taken = CliRunner.Run("backup", "--db", db, "--out", backup);
        Assert.Equal(0, taken.ExitCode);
        Assert.Contains("backed up", taken.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(backup));

        var again = CliRunner.Run("backup", "--db", db, "--out", backup);
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);

        var refused = CliRunner.Run("restore", "--from", backup, "--db", db);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);

        var restored = CliRunner.Run("restore", "--from", backup, "--db", db, "--force");
        Assert.Equal(0, restored.ExitCode);
        Assert.Matches(@"rejoins as site 'f1/edge-0~[0-9]+'", restored.Stdout);
        using var check = new AppDatabase(db);
        Assert.Equal("auto", check.Scalar("SELECT value FROM config WHERE key = 'mode'"));
        Assert.Equal("ok", check.Scalar("PRAGMA integrity_check"));
    }
}
