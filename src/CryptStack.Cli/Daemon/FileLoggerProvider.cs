using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// `--log-file`: one line per message, flushed at once, for hosts without a journal or syslog
/// daemon (containers) and for scripts that need to see what the daemon reported.
/// </summary>
internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle = DaemonFiles.OpenLog(path);
    private StreamWriter? _writer;

    private StreamWriter Writer => _writer ??= new StreamWriter(new Output.DescriptorStream((int)_handle.DangerousGetHandle(), FileAccess.Write), new System.Text.UTF8Encoding(false)) { AutoFlush = true };

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    private void Write(string line)
    {
        lock (_handle) { if (!_handle.IsClosed) Writer.WriteLine(line); }
    }

    public void Dispose()
    {
        lock (_handle) _handle.Dispose();
    }

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
