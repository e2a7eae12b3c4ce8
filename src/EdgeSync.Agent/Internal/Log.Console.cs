using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Internal;

/// <summary>Log messages of the fleet console (<c>/ui</c>, <c>/v1/fleet</c>): event ids 3000–3099.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Warning, "The fleet console (/ui, /v1/fleet) is unauthenticated, like ingest: anyone who reaches {Endpoints} can see the fleet's topology, lags and conflict values")]
    public static partial void ConsoleOpen(ILogger logger, string endpoints);

    [LoggerMessage(3001, LogLevel.Information, "Fleet console signed in a browser from {Remote} with the bearer token")]
    public static partial void ConsoleSignedIn(ILogger logger, string remote);

    [LoggerMessage(3002, LogLevel.Warning, "Fleet console refused a sign-in from {Remote}: the token is not this agent's")]
    public static partial void ConsoleSignInRefused(ILogger logger, string remote);

    [LoggerMessage(3003, LogLevel.Error, "The fleet console could not build its snapshot")]
    public static partial void ConsoleSnapshotFailed(ILogger logger, Exception exception);
}
