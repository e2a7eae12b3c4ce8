using System.Diagnostics;

namespace EdgeSync.Fault.Tests.Support;

/// <summary>Runs a short system command (<c>ip</c>, <c>nft</c>) with a bounded wait and fails loudly with what it printed.</summary>
public static class Shell
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Runs the command and throws with its output unless it exits 0.</summary>
    public static string Run(string file, params string[] args)
    {
        var (exitCode, output) = TryRun(file, args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` exited {exitCode}: {output.Trim()}");
        }

        return output;
    }

    /// <summary>Runs the command and returns its exit code and combined output; -1 when it could not start or timed out.</summary>
    public static (int ExitCode, string Output) TryRun(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }

        using (p)
        {
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(Timeout))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                return (-1, $"timed out after {Timeout.TotalSeconds} s");
            }

            return (p.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>The full path of an executable on PATH (or the usual sbin directories), or null.</summary>
    public static string? Which(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }
}
