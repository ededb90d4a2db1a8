using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>Keeps every log entry of the app, to assert what an operator would read.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(DateTimeOffset At, LogLevel Level, string Category, string Message)> Entries { get; } = new();

    /// <summary>The entries of <paramref name="level"/> whose message contains <paramref name="text"/>.</summary>
    public IReadOnlyList<(DateTimeOffset At, LogLevel Level, string Category, string Message)> Find(LogLevel level, string text) =>
        [.. Entries.Where(e => e.Level == level && e.Message.Contains(text, StringComparison.Ordinal))];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((DateTimeOffset.UtcNow, logLevel, category, formatter(state, exception)));
    }
}
