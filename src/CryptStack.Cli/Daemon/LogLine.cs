using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// One log line as a filesystem daemon writes it: time, level, message, no .NET category names or event
/// ids. An exception adds its type and message (never a stack trace, never key material).
/// </summary>
internal static class LogLine
{
    public static string Level(LogLevel level) => level switch
    {
        LogLevel.Critical => "critical",
        LogLevel.Error => "error",
        LogLevel.Warning => "warning",
        LogLevel.Information => "info",
        LogLevel.Debug => "debug",
        _ => "trace",
    };

    public static string Text<TState>(TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string text = formatter(state, exception);
        return exception == null ? text : $"{text}: {exception.GetType().Name}: {exception.Message}";
    }

    /// <summary>A logger that hands each enabled line (level, text) to <paramref name="write"/>.</summary>
    public sealed class Logger(LogLevel minimum, Action<LogLevel, string> write) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) write(logLevel, Text(state, exception, formatter));
        }
    }
}
