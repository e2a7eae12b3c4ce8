namespace EdgeSync.Cli.Tests.Support;

/// <summary>Runs <c>edgesync</c> in-process, as a user would from a shell, and keeps what it printed.</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args) => Run(TestContext.Current.CancellationToken, args);

    public static CliResult Run(CancellationToken cancellationToken, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exitCode = CliApp.Run(args, stdout, stderr, cancellationToken);
        var result = new CliResult(exitCode, stdout.ToString(), stderr.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine($"$ edgesync {string.Join(' ', args)}\n{result.Stdout}{result.Stderr}(exit {exitCode})");
        return result;
    }
}

/// <summary>What one <c>edgesync</c> invocation returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
