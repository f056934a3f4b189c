using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// The files a daemon writes beside its mount (pid file, mount record, log). The daemon runs with
/// umask 0 (the kernel already applied the caller's to file modes), so each mode is set explicitly:
/// 0644 for the pid file (anyone may read it, only we write it: a writable pid file lets anyone aim our
/// caller's `kill $(cat pidfile)`), 0600 for a log we create (its lines name files). O_NOFOLLOW: a
/// symlink planted at the path is refused, not followed into someone else's file.
/// </summary>
internal static partial class DaemonFiles
{
    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_APPEND = 0x400, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    private const int ELOOP = 40, EEXIST = 17;
    public const uint PidFileMode = 0x1A4; // 0644
    public const uint LogFileMode = 0x180; // 0600

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmod(int fd, uint mode);

    /// <summary>Creates or replaces a small file (pid file, mount record) with mode 0644.</summary>
    public static void Write(string path, string text)
    {
        using SafeFileHandle handle = OpenOrThrow(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, PidFileMode);
        // An existing file keeps its mode through O_CREAT: set ours.
        FChmod((int)handle.DangerousGetHandle(), PidFileMode);
        new Output.DescriptorStream((int)handle.DangerousGetHandle(), FileAccess.Write).Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Opens a log file for appending (O_APPEND: after a logrotate copytruncate the next line goes to
    /// the new end, not behind a run of NUL bytes). A new file is 0600; an existing one keeps the mode
    /// its owner gave it.
    /// </summary>
    public static SafeFileHandle OpenLog(string path)
    {
        int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
        int fd = Open(path, flags | O_CREAT | O_EXCL, LogFileMode);
        if (fd >= 0)
        {
            FChmod(fd, LogFileMode);
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        if (Marshal.GetLastPInvokeError() != EEXIST) Throw(path);
        return OpenOrThrow(path, flags, 0);
    }

    private static SafeFileHandle OpenOrThrow(string path, int flags, uint mode)
    {
        int fd = Open(path, flags, mode);
        if (fd < 0) Throw(path);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static void Throw(string path)
    {
        int errno = Marshal.GetLastPInvokeError();
        string reason = errno == ELOOP ? "is a symbolic link (refused)" : Marshal.GetPInvokeErrorMessage(errno);
        throw new IOException($"{path}: {reason}");
    }
}
