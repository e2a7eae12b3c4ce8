namespace EdgeSync.Cli.Internal;

/// <summary>An error the CLI itself detects; <see cref="CliApp"/> prints the message and exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message)
        : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
