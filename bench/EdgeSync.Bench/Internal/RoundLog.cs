using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// Collects what an in-process agent logs about its completed sync rounds (event 2200, "Synced {Database} with
/// {Peer} … in {Milliseconds} ms", Debug level): the agent's own timing of each round of its peer loop. Everything
/// else is dropped, so nothing reaches stdout.
/// </summary>
internal sealed class RoundLog : ILoggerProvider, ILogger
{
    public const int RoundCompletedEventId = 2200;

    public ConcurrentQueue<(long Pulled, long Pushed, double Milliseconds)> Rounds { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id != RoundCompletedEventId || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            return;
        }

        long pulled = 0;
        long pushed = 0;
        double ms = double.NaN;
        foreach (var (key, value) in fields)
        {
            switch (key)
            {
                case "Pulled":
                    pulled = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "Pushed":
                    pushed = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "Milliseconds":
                    ms = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }

        Rounds.Enqueue((pulled, pushed, ms));
    }

    public void Dispose()
    {
    }
}
