namespace EdgeSync.Cli.Internal;

/// <summary>What every command writes to and listens to: its output, its error stream, and cancellation (Ctrl-C).</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, CancellationToken CancellationToken);
