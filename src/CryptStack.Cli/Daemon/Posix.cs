using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CryptStack.Cli.Daemon;

internal static partial class Posix
{
    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ChDir(string path);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    /// <summary>access(2) W_OK: whether this process may write the file (or create entries in the directory).</summary>
    public static bool CanWrite(string path) => Access(path, 2) == 0;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>realpath(3): the path with every symlink, "." and ".." resolved; null when it fails (errno in the out value).</summary>
    public static string? ResolvePath(string path, out int errno)
    {
        nint p = RealPath(path, 0);
        errno = p == 0 ? Marshal.GetLastPInvokeError() : 0;
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    /// <summary>
    /// A plain (not lazy) unmount: fails, and leaves the mount alone, while it is busy. Root calls
    /// umount2 itself; anyone else needs the setuid fusermount3.
    /// </summary>
    public static bool Unmount(string mountPoint)
    {
        if (GetEuid() == 0) return Umount2(mountPoint, 0) == 0;
        try
        {
            using var p = Process.Start(new ProcessStartInfo("fusermount3", ["-u", mountPoint])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            if (p == null) return false;
            if (!p.WaitForExit(10_000)) return false;
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>A lazy unmount (MNT_DETACH; fusermount3 -u -z for others): the mount point is free at once, open files keep working.</summary>
    public static void DetachLazily(string mountPoint)
    {
        if (GetEuid() == 0 && Umount2(mountPoint, 2 /* MNT_DETACH */) == 0) return;
        try
        {
            using var p = Process.Start(new ProcessStartInfo("fusermount3", ["-u", "-z", mountPoint])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            p?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>90 s → "90s", 600 s → "10m": durations as --idle takes them.</summary>
    public static string FormatDuration(TimeSpan t) =>
        t.TotalSeconds % 3600 == 0 ? (t.TotalSeconds / 3600).ToString(CultureInfo.InvariantCulture) + "h"
        : t.TotalSeconds % 60 == 0 ? (t.TotalSeconds / 60).ToString(CultureInfo.InvariantCulture) + "m"
        : t.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    /// <summary>
    /// Closes descriptors inherited from whoever started us (they lack O_CLOEXEC; the runtime's
    /// own all have it). A daemon that keeps a caller's pipe open keeps that caller waiting.
    /// </summary>
    public static void CloseInheritedDescriptors()
    {
        const int O_CLOEXEC = 0x80000;
        foreach (string entry in Directory.GetFiles("/proc/self/fdinfo"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int fd) || fd <= 2) continue;
            try
            {
                string? flagsLine = File.ReadLines(entry).FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal));
                if (flagsLine == null) continue;
                int flags = Convert.ToInt32(flagsLine["flags:".Length..].Trim(), 8);
                if ((flags & O_CLOEXEC) == 0) Close(fd);
            }
            catch (IOException) { }
        }
    }

    /// <summary>Points stdin, stdout and stderr at /dev/null once the parent stopped listening.</summary>
    public static void DetachStdio()
    {
        int fd = Open("/dev/null", 2 /* O_RDWR */);
        if (fd < 0) return;
        Dup2(fd, 0);
        Dup2(fd, 1);
        Dup2(fd, 2);
        if (fd > 2) Close(fd);
    }
}
