using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// `--log-file`: one line per message, flushed at once, for hosts without a journal or syslog
/// daemon (containers) and for scripts that need to see what the daemon reported.
/// </summary>
internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    private void Write(string line)
    {
        lock (_writer) _writer.WriteLine(line);
    }

    public void Dispose() => _writer.Dispose();

    private sealed class FileLogger(FileLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string text = formatter(state, exception);
            if (exception != null) text += ": " + exception.GetType().Name + ": " + exception.Message;
            owner.Write($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel.ToString().ToLowerInvariant()}: {text}");
        }
    }
}
