namespace EdgeSync.Cli;

/// <summary>The process exit codes of <c>edgesync</c>; <c>edgesync --help</c> lists the same table.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>A check failed: the demo fleet did not converge in time, or <c>verify</c>/<c>sync</c> found replicas whose rows differ.</summary>
    public const int CheckFailed = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or malformed value.</summary>
    public const int UsageError = 2;

    /// <summary>EdgeSync refused: a table it cannot sync, a database not set up for sync, a bad batch, a wrong site id.</summary>
    public const int EdgeSyncError = 3;

    /// <summary>A file or the SQLite database cannot be read or written (missing, locked, read-only, corrupt).</summary>
    public const int IoError = 4;

    /// <summary>A bug in edgesync: an error it did not expect. The message names it; please report it.</summary>
    public const int InternalError = 70;

    /// <summary>Cancelled with Ctrl-C or SIGTERM (128 + SIGINT, as shells report an interrupted command).</summary>
    public const int Cancelled = 130;

    /// <summary>The table printed at the end of <c>--help</c>.</summary>
    internal static IReadOnlyList<(int Code, string Meaning)> Described { get; } =
    [
        (Ok, "ok"),
        (CheckFailed, "check failed (the demo fleet did not converge in time, or verify/sync found rows that differ)"),
        (UsageError, "usage error (unknown command or option, missing or malformed value)"),
        (EdgeSyncError, "EdgeSync refused (table it cannot sync, database not set up, bad batch, wrong site id)"),
        (IoError, "I/O or SQLite error (file missing, locked, read-only or corrupt)"),
        (InternalError, "internal error (a bug: please report it)"),
        (Cancelled, "cancelled (Ctrl-C or SIGTERM)"),
    ];
}
