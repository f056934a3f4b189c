using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>A foreground daemon's log on stderr: "06:58:01.123 info: /srv/vault.enc mounted on /srv/vault".</summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new LogLine.Logger(LogLevel.Trace, (level, text) =>
    {
        lock (Gate) Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {LogLine.Level(level)}: {text}");
    });

    public void Dispose() { }
}
