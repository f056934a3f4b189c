using System.Net.Sockets;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Where a detached daemon's log goes. syslog(3) drops every line silently when nothing listens on
/// /dev/log (containers, minimal systems): integrity failures would go unseen. So the daemon looks
/// first, and without syslog it writes to --log-file, or to a default file it names at mount time.
/// </summary>
internal static class LogDestinations
{
    public const string SyslogSocket = "/dev/log";

    /// <summary>True when a syslog daemon (or journald) accepts messages on /dev/log.</summary>
    public static bool SyslogAvailable()
    {
        foreach (SocketType type in new[] { SocketType.Dgram, SocketType.Stream })
        {
            try
            {
                using var socket = new Socket(AddressFamily.Unix, type, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(SyslogSocket));
                return true;
            }
            catch (SocketException) { }
        }
        return false;
    }

    /// <summary>
    /// The log file used when there is no syslog and no --log-file: /var/log/cryptstack/NAME.log for root,
    /// $XDG_STATE_HOME/cryptstack/NAME.log (~/.local/state) otherwise; NAME is the mount point with '/' as '-'.
    /// </summary>
    public static string DefaultLogFile(string mountPoint)
    {
        string name = mountPoint.Trim('/').Replace('/', '-');
        if (name.Length == 0) name = "root";
        string dir = Posix.GetEuid() == 0
            ? "/var/log/cryptstack"
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } state
                ? state
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"), "cryptstack");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".log");
    }
}
