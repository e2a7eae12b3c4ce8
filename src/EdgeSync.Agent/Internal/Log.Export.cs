using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Internal;

/// <summary>Log messages of the NATS export (event ids 3100–3199), a partial of <see cref="Log"/> kept apart for merges.</summary>
internal static partial class Log
{
    [LoggerMessage(3100, LogLevel.Information, "Export of database {Database}: this agent ({Holder}) holds the lease and exports to stream {Stream}")]
    public static partial void ExportLeaseTaken(ILogger logger, string database, string holder, string stream);

    [LoggerMessage(3101, LogLevel.Warning, "Export of database {Database}: the lease was lost; another hub replica exports now")]
    public static partial void ExportLeaseLost(ILogger logger, string database);

    [LoggerMessage(3102, LogLevel.Warning, "Export of database {Database} failed ({Reason}); it reads back the stream's position and retries in {DelayMs} ms")]
    public static partial void ExportFailed(ILogger logger, string database, string reason, int delayMs);

    [LoggerMessage(3103, LogLevel.Information, "Export of database {Database} resumes from the stream: {Subjects} subjects read back, {Ahead} positions ahead of this replica's cursor")]
    public static partial void ExportReconciled(ILogger logger, string database, int subjects, int ahead);

    [LoggerMessage(3104, LogLevel.Warning, "Export cannot reach NATS ({Urls}): {Reason}")]
    public static partial void ExportUnreachable(ILogger logger, string urls, string reason);

    [LoggerMessage(3105, LogLevel.Debug, "Export of database {Database}: {Rows} rows in {Messages} messages published")]
    public static partial void ExportPublished(ILogger logger, string database, int rows, int messages);
}
