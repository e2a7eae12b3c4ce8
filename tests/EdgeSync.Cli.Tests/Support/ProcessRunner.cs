using System.Diagnostics;

namespace EdgeSync.Cli.Tests.Support;

/// <summary>Runs a program in its own process (the <c>edgesync</c> executable, possibly under <c>faketime</c>) and keeps what it printed.</summary>
public static class ProcessRunner
{
    /// <summary>The <c>edgesync</c> executable built next to the tests.</summary>
    public static string Edgesync => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "edgesync.exe" : "edgesync");

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; fails the test when it runs past 120 s. Under
    /// <c>faketime</c> only the wall clock is shifted, so timeouts keep working.</summary>
    public static CliResult Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within 120 s");
        }

        var result = new CliResult(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        TestContext.Current.TestOutputHelper?.WriteLine($"$ {Path.GetFileName(file)} {string.Join(' ', args)}\n{result.Stdout}{result.Stderr}(exit {p.ExitCode})");
        return result;
    }
}
