using System.Text.Json;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class ConflictsCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Conflicts_ConcurrentUpdatesOfSameKey_AreListedWithKeptAndDiscardedValues()
    {
        var (a, b) = ConcurrentUpdate();
        using (a)
        using (b)
        {
            string kept = (string)a.Scalar("SELECT value FROM config WHERE key = 'mode'")!;
            Assert.Equal(kept, b.Scalar("SELECT value FROM config WHERE key = 'mode'"));
            string discarded = kept == "from-a" ? "from-b" : "from-a";

            var result = CliRunner.Run("conflicts", "--db", a.Path);

            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            var lines = result.StdoutLines;
            Assert.Matches(@"^\d+ conflicts?, newest first:$", lines[0]);
            Assert.Contains(lines, l => l.Contains("config ['mode'].value  rule lww", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith($"kept       '{kept}'", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith($"discarded  '{discarded}'", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ConflictsJson_FilteredByTable_HasWinnerAndLoser()
    {
        var (a, b) = ConcurrentUpdate();
        using (a)
        using (b)
        {
            var result = CliRunner.Run("conflicts", "--db", a.Path, "--table", "config", "--limit", "10", "--json");

            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            using var json = JsonDocument.Parse(result.Stdout);
            var value = json.RootElement.EnumerateArray().Single(c => c.GetProperty("column").GetString() == "value");
            Assert.Equal("config", value.GetProperty("table").GetString());
            Assert.Equal("'mode'", value.GetProperty("key").GetString());
            Assert.Equal("lww", value.GetProperty("rule").GetString());
            string?[] values = [value.GetProperty("winner").GetProperty("value").GetString(), value.GetProperty("loser").GetProperty("value").GetString()];
            Assert.Equal(["from-a", "from-b"], values.Order());
            Assert.NotEqual(value.GetProperty("winner").GetProperty("site").GetString(), value.GetProperty("loser").GetProperty("site").GetString());

            var otherTable = CliRunner.Run("conflicts", "--db", a.Path, "--table", "telemetry");
            Assert.Equal("no conflicts on table 'telemetry'", otherTable.Stdout.Trim());
        }
    }

    [Fact]
    public void Conflicts_NoneYet_SaysSo()
    {
        using var a = new AppDatabase(_dir.File("a.db"));
        CliRunner.Run("init", "--db", a.Path, "--site", "site-a", "--table", "config=lww");

        var result = CliRunner.Run("conflicts", "--db", a.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("no conflicts", result.Stdout.Trim());
    }

    [Fact]
    public void Conflicts_LimitBelowOne_IsUsageError()
    {
        var result = CliRunner.Run("conflicts", "--db", _dir.File("a.db"), "--limit", "0");

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("--limit must be a whole number from 1 to", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Two replicas share a config row, then both update it before syncing again: a real conflict.</summary>
    private (AppDatabase A, AppDatabase B) ConcurrentUpdate()
    {
        var a = new AppDatabase(_dir.File("a.db"));
        var b = new AppDatabase(_dir.File("b.db"));
        CliRunner.Run("init", "--db", a.Path, "--site", "site-a", "--table", "telemetry=append", "--table", "config=lww");
        CliRunner.Run("init", "--db", b.Path, "--site", "site-b", "--table", "telemetry=append", "--table", "config=lww");
        a.Exec("INSERT INTO config VALUES ('mode', 'initial', 'a')");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("sync", "--db", a.Path, "--with", b.Path).ExitCode);
        a.Exec("UPDATE config SET value = 'from-a' WHERE key = 'mode'");
        b.Exec("UPDATE config SET value = 'from-b' WHERE key = 'mode'");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("sync", "--db", a.Path, "--with", b.Path).ExitCode);
        return (a, b);
    }
}
