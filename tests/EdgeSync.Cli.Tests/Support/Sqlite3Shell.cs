using System.Diagnostics;

namespace EdgeSync.Cli.Tests.Support;

/// <summary>The <c>sqlite3</c> shell as the application, in its own process, and other tools found on PATH.</summary>
public static class Sqlite3Shell
{
    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The shell's path; skips the test (with how to install it) when it is missing.</summary>
    public static string Require()
    {
        var path = OnPath("sqlite3");
        Assert.SkipWhen(path is null, "needs the sqlite3 shell as the application: apt-get install sqlite3");
        return path!;
    }

    /// <summary>Runs <paramref name="sql"/> on <paramref name="db"/>, waiting up to 10 s for a write lock as an application would; returns what it printed.</summary>
    public static string Sql(string db, string sql)
    {
        var psi = new ProcessStartInfo(Require(), ["-cmd", ".timeout 10000", db, sql]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "sqlite3 did not finish within 60 s");
        Assert.True(p.ExitCode == 0, $"sqlite3 failed: {stderr.Result}");
        return stdout.Result.Trim();
    }
}
