using System.Runtime.InteropServices;

namespace CryptStack.Volume;

/// <summary>
/// Reads one of the format's own small files (config, recovery record, cs.dirid, sidecars) from a ciphertext
/// directory that an attacker may have rearranged. Whatever is there, the read never blocks, never follows a
/// symlink out of the directory, never opens a FIFO, socket or device, and never reads more than it must:
/// the entry is first reached with O_PATH (which opens nothing: a device's open routine does not run, a FIFO
/// does not wait for a writer), checked to be a regular file of a sane size, and only then opened for
/// reading through that same inode (/proc/self/fd), so nothing can be swapped in between.
/// </summary>
public static unsafe partial class SmallRegularFile
{
    public const int AtCwd = -100;
    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_NOCTTY = 0x100, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000;
    private const int ELOOP = 40, EINTR = 4;

    /// <summary>The result of a read: the content, or why there is none.</summary>
    public readonly record struct Result(byte[]? Content, int Errno, string? Problem)
    {
        public bool Ok => Content != null;
    }

    /// <summary>
    /// Reads <paramref name="name"/> relative to <paramref name="dirFd"/> (or <see cref="AtCwd"/> and a path).
    /// A file larger than <paramref name="maxBytes"/> is refused (EFBIG) without reading it.
    /// </summary>
    public static Result Read(int dirFd, string name, int maxBytes)
    {
        int pathFd;
        fixed (byte* n = Z(name)) pathFd = openat(dirFd, n, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        if (pathFd < 0)
        {
            int e = Marshal.GetLastPInvokeError();
            return new Result(null, e, e == 2 ? "missing" : $"cannot be reached (errno {e})");
        }
        try
        {
            var st = new byte[StatSize];
            fixed (byte* s = st)
                if (fstat(pathFd, s) < 0) return new Result(null, Marshal.GetLastPInvokeError(), "cannot be examined");
            uint mode = BitConverter.ToUInt32(st, StatModeOffset);
            long size = BitConverter.ToInt64(st, StatSizeOffset);
            // O_PATH|O_NOFOLLOW on a symlink opens the link itself: it is a symlink, not a regular file.
            if ((mode & S_IFMT) != S_IFREG)
                return new Result(null, ELOOP, $"is a {TypeName(mode)}, not a regular file");
            if (size > maxBytes)
                return new Result(null, 27 /* EFBIG */, $"is {size} bytes, larger than any valid one ({maxBytes})");
            int fd;
            fixed (byte* p = Z($"/proc/self/fd/{pathFd}")) fd = openat(AtCwd, p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
            if (fd < 0) { int e = Marshal.GetLastPInvokeError(); return new Result(null, e, $"cannot be opened (errno {e})"); }
            try
            {
                // One byte more than allowed: a file that grew after the check is caught too.
                var buffer = new byte[(int)Math.Min(size, maxBytes) + 1];
                int done = 0;
                while (done < buffer.Length)
                {
                    long r;
                    fixed (byte* b = &buffer[done]) r = pread(fd, b, (nuint)(buffer.Length - done), done);
                    if (r < 0)
                    {
                        int e = Marshal.GetLastPInvokeError();
                        if (e == EINTR) continue;
                        return new Result(null, e, $"cannot be read (errno {e})");
                    }
                    if (r == 0) break;
                    done += (int)r;
                }
                if (done > maxBytes) return new Result(null, 27, $"is larger than any valid one ({maxBytes} bytes)");
                return new Result(buffer.AsSpan(0, done).ToArray(), 0, null);
            }
            finally { close(fd); }
        }
        finally { close(pathFd); }
    }

    /// <summary>As <see cref="Read(int, string, int)"/> by path; an <see cref="IOException"/> naming the path and the problem.</summary>
    public static byte[] ReadPath(string path, int maxBytes)
    {
        var r = Read(AtCwd, path, maxBytes);
        if (r.Ok) return r.Content!;
        if (r.Errno == 2) throw new FileNotFoundException($"{path}: not found", path);
        throw new IOException($"{path} {r.Problem}");
    }

    private static string TypeName(uint mode) => (mode & S_IFMT) switch
    {
        0x1000 => "FIFO",
        0x2000 => "character device",
        0x4000 => "directory",
        0x6000 => "block device",
        0xA000 => "symlink",
        0xC000 => "socket",
        _ => "special file",
    };

    private static byte[] Z(string s)
    {
        var b = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    // glibc x86-64 struct stat: 144 bytes, st_mode at 24, st_size at 48.
    private const int StatSize = 144, StatModeOffset = 24, StatSizeOffset = 48;

    [LibraryImport("libc", SetLastError = true)] private static partial int openat(int dirfd, byte* path, int flags, uint mode);
    [LibraryImport("libc", SetLastError = true)] private static partial int fstat(int fd, byte* st);
    [LibraryImport("libc", SetLastError = true)] private static partial long pread(int fd, byte* buf, nuint count, long offset);
    [LibraryImport("libc", SetLastError = true)] private static partial int close(int fd);
}
