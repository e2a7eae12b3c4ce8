using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>Keeps the log lines of one agent (EdgeSync categories, Information and above) to assert on.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> _lines = new();

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Lines => _lines.ToList();

    /// <summary>True when a line with this event id contains <paramref name="text"/>.</summary>
    public bool Has(int eventId, string text) => _lines.Any(l => l.EventId == eventId && l.Message.Contains(text, StringComparison.Ordinal));

    public string Dump() => string.Join("\n", _lines.Select(l => $"{l.EventId} {l.Level}: {l.Message}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName.StartsWith("EdgeSync", StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner, bool enabled) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => enabled && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
