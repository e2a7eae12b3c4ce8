using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Internal;

/// <summary>Log messages of fleet-scale hosting (event ids 3500–3549), a partial of <see cref="Log"/> kept apart for merges.</summary>
internal static partial class Log
{
    [LoggerMessage(3500, LogLevel.Warning, "File notifications are unavailable in this process ({Reason}): capture of every database polls instead "
        + "(every 50 ms at most while quiet). Raise fs.inotify.max_user_instances, or host fewer processes per user")]
    public static partial void WatchUnavailable(ILogger logger, string reason);
}
