using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// `--log-file` (or the fallback when there is no syslog): one line per message, written at once with
/// O_APPEND. <see cref="Reopen"/> (on SIGHUP) starts a new file at the same path after logrotate moved
/// the old one away, as daemons do.
/// </summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private SafeFileHandle _handle;
    private StreamWriter _writer;

    public FileLoggerProvider(string path)
    {
        Path = path;
        (_handle, _writer) = Open(path);
    }

    public string Path { get; }

    public ILogger CreateLogger(string categoryName) => new LogLine.Logger(LogLevel.Trace, Write);

    /// <summary>Closes the file and opens the path again (a new file if it was moved away).</summary>
    public void Reopen()
    {
        var (handle, writer) = Open(Path);
        lock (_gate)
        {
            _handle.Dispose();
            (_handle, _writer) = (handle, writer);
        }
        Write(LogLevel.Information, $"{Path}: log file reopened (SIGHUP)");
    }

    private static (SafeFileHandle, StreamWriter) Open(string path)
    {
        SafeFileHandle handle = DaemonFiles.OpenLog(path);
        var stream = new Output.DescriptorStream((int)handle.DangerousGetHandle(), FileAccess.Write);
        return (handle, new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { AutoFlush = true });
    }

    private void Write(LogLevel level, string text)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {LogLine.Level(level)}: {text}";
        lock (_gate)
        {
            if (!_handle.IsClosed) _writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate) _handle.Dispose();
    }
}
