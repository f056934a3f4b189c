using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Logs of a detached daemon go to syslog (the journal on systemd hosts): after detaching it
/// has no terminal. Messages are the same text the console shows; no key material is ever logged.
/// </summary>
internal sealed partial class SyslogLoggerProvider : ILoggerProvider
{
    private const int LOG_PID = 0x01, LOG_DAEMON = 3 << 3;
    private static nint _ident;

    [LibraryImport("libc", EntryPoint = "openlog")]
    private static partial void OpenLog(nint ident, int option, int facility);

    [LibraryImport("libc", EntryPoint = "syslog", StringMarshalling = StringMarshalling.Utf8)]
    private static partial void Syslog(int priority, string format, string message);

    public SyslogLoggerProvider()
    {
        if (_ident == 0)
        {
            _ident = Marshal.StringToCoTaskMemUTF8("cryptstack");
            OpenLog(_ident, LOG_PID, LOG_DAEMON);
        }
    }

    public ILogger CreateLogger(string categoryName) => new SyslogLogger();

    public void Dispose() { }

    private sealed class SyslogLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            int priority = logLevel switch
            {
                LogLevel.Critical => 2,
                LogLevel.Error => 3,
                LogLevel.Warning => 4,
                LogLevel.Information => 6,
                _ => 7,
            };
            string text = formatter(state, exception);
            if (exception != null) text += ": " + exception.GetType().Name + ": " + exception.Message;
            Syslog(LOG_DAEMON | priority, "%s", text);
        }
    }
}
