using System.Diagnostics;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>Capture lives in the database: a process with no EdgeSync code writes, and the changes sync.</summary>
public sealed class ExternalWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static void Run(string exe, string args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }

        p.StandardInput.Close();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{exe} failed ({p.ExitCode}): {err}");
    }

    [Fact]
    public void Sqlite3Shell_Writes_AreCapturedAndSynced()
    {
        var sqlite3 = Which("sqlite3");
        Assert.SkipWhen(sqlite3 is null, "the sqlite3 shell is not installed (apt-get install -y sqlite3; .ci/run installs it)");
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        Run(sqlite3!, a.Path, """
            PRAGMA busy_timeout = 5000;
            INSERT INTO readings VALUES (1, 'shell', 10, 0.5), (2, 'shell', 11, 0.75);
            INSERT INTO settings VALUES ('mode', 'auto', 'shell', 1);
            INSERT INTO items VALUES ('t', 1, 'bolt', 3);
            UPDATE items SET qty = 4 WHERE tenant = 't' AND code = 1;
            INSERT INTO counters VALUES (7, 1, 'x', x'00ff');
            DELETE FROM counters WHERE id = 7;
            """);
        b.PullFrom(a);
        Assert.Equal(2L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal("auto", b.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal(4L, b.Scalar("SELECT qty FROM items WHERE tenant = 't' AND code = 1"));
        Assert.Equal(0L, b.Scalar("SELECT count(*) FROM counters"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void PythonSqliteModule_Writes_AreCapturedAndSynced()
    {
        var python = Which("python3");
        Assert.SkipWhen(python is null, "python3 is not installed (apt-get install -y python3; .ci/run installs it)");
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        var script = $$"""
            import sqlite3
            c = sqlite3.connect({{"\"" + a.Path + "\""}}, timeout=5)
            c.executemany("INSERT INTO readings VALUES (?, 'py', ?, ?)", [(i, i, i * 0.5) for i in range(1, 101)])
            c.execute("INSERT OR REPLACE INTO settings VALUES ('speed', '42', 'py', 1)")
            c.commit()
            c.execute("UPDATE settings SET value = '43' WHERE key = 'speed'")
            c.commit()
            """;
        Run(python!, "-", script);
        b.PullFrom(a);
        Assert.Equal(100L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal("43", b.Scalar("SELECT value FROM settings WHERE key = 'speed'"));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }
}
