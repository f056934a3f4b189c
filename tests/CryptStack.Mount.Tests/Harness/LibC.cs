using System.Runtime.InteropServices;
using System.Text;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// The syscalls System.IO does not offer (or hides the errno of), for driving a mount the way
/// any program would. Every wrapper returns the libc result; <see cref="Errno"/> is the errno
/// of the last failed call on this thread, and <see cref="Check"/> turns a failure into an
/// exception that names the call and the errno.
/// </summary>
public static unsafe partial class LibC
{
    public const int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13, EBUSY = 16, EEXIST = 17,
        EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30,
        EMLINK = 31, ERANGE = 34, ENAMETOOLONG = 36, ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, ENXIO = 6,
        EOPNOTSUPP = 95, ENOTCONN = 107;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
    public const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_COLLAPSE_RANGE = 8,
        FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20;
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    public const int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    public const uint S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000,
        S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;
    public const long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;
    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MS_SYNC = 4;
    public const int SIGKILL = 9, SIGTERM = 15;
    public const ulong ST_RDONLY = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong Dev;
        public ulong Ino;
        public ulong NLink;
        public uint Mode;
        public uint Uid;
        public uint Gid;
        private int _pad0;
        public ulong RDev;
        public long Size;
        public long BlkSize;
        public long Blocks;
        public TimeSpec ATime;
        public TimeSpec MTime;
        public TimeSpec CTime;
        private long _reserved0, _reserved1, _reserved2;

        public readonly uint Type => Mode & S_IFMT;
        public readonly uint Permissions => Mode & 0xFFF;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        public TimeSpec(long seconds, long nanoseconds) { Seconds = seconds; Nanoseconds = nanoseconds; }
        public override readonly string ToString() => $"{Seconds}.{Nanoseconds:D9}";
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfs
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FsId;
        public ulong Flags;
        public ulong NameMax;
        private fixed int _spare[6];
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>0 for success, else the errno: for asserting on expected failures.</summary>
    public static int ErrnoOf(long rc) => rc < 0 ? Errno : 0;

    public static long Check(long rc, string what)
    {
        if (rc < 0)
        {
            int e = Errno;
            throw new IOException($"{what}: {Name(e)} ({e})", e);
        }
        return rc;
    }

    public static int Check(int rc, string what) => (int)Check((long)rc, what);

    public static string Name(int errno) => errno switch
    {
        0 => "OK",
        EPERM => "EPERM", ENOENT => "ENOENT", EIO => "EIO", EBADF => "EBADF", EAGAIN => "EAGAIN", EACCES => "EACCES",
        EBUSY => "EBUSY", EEXIST => "EEXIST", EXDEV => "EXDEV", ENOTDIR => "ENOTDIR", EISDIR => "EISDIR",
        EINVAL => "EINVAL", EFBIG => "EFBIG", ENOSPC => "ENOSPC", ESPIPE => "ESPIPE", EROFS => "EROFS",
        EMLINK => "EMLINK", ERANGE => "ERANGE", ENAMETOOLONG => "ENAMETOOLONG", ENOTEMPTY => "ENOTEMPTY",
        ELOOP => "ELOOP", ENODATA => "ENODATA", ENXIO => "ENXIO", EOPNOTSUPP => "EOPNOTSUPP", ENOTCONN => "ENOTCONN",
        _ => $"errno {errno}",
    };

    // ---- files ----------------------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, uint mode = 0);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint read(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nuint count);

    public static long PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer) return pread(fd, p, (nuint)buffer.Length, offset);
    }

    public static long PWrite(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer) return pwrite(fd, p, (nuint)buffer.Length, offset);
    }

    public static long Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer) return read(fd, p, (nuint)buffer.Length);
    }

    public static long Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer) return write(fd, p, (nuint)buffer.Length);
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "truncate", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Truncate(string path, long length);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int FAllocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MMap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    public static partial int MSync(nint addr, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int MUnmap(nint addr, nuint length);

    // ---- attributes -------------------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Stat_(string path, out Stat st);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int LStat_(string path, out Stat st);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static partial int FStat(int fd, out Stat st);

    public static Stat StatOf(string path)
    {
        Check(Stat_(path, out var st), $"stat {path}");
        return st;
    }

    public static Stat LStatOf(string path)
    {
        Check(LStat_(path, out var st), $"lstat {path}");
        return st;
    }

    public static Stat FStatOf(int fd)
    {
        Check(FStat(fd, out var st), "fstat");
        return st;
    }

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int StatVfs_(string path, out StatVfs st);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chmod(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int FChmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int FChown(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int utimensat(int dirFd, string path, TimeSpec* times, int flags);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(int fd, TimeSpec* times);

    public static int UtimensAt(string path, TimeSpec atime, TimeSpec mtime, int flags = 0)
    {
        TimeSpec* t = stackalloc TimeSpec[2];
        t[0] = atime;
        t[1] = mtime;
        return utimensat(AT_FDCWD, path, t, flags);
    }

    /// <summary>utimensat with a NULL times pointer: both times to now.</summary>
    public static int UtimensNow(string path) => utimensat(AT_FDCWD, path, null, 0);

    public static int FUtimens(int fd, TimeSpec atime, TimeSpec mtime)
    {
        TimeSpec* t = stackalloc TimeSpec[2];
        t[0] = atime;
        t[1] = mtime;
        return futimens(fd, t);
    }

    // ---- namespace --------------------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    public static int Rename(string oldPath, string newPath, uint flags = 0) => renameat2(AT_FDCWD, oldPath, AT_FDCWD, newPath, flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Symlink(string target, string linkPath);


    [LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint readlink(string path, byte* buffer, nuint size);

    /// <summary>The link's target, or null with <see cref="Errno"/> set.</summary>
    public static string? ReadLink(string path)
    {
        byte[] buffer = new byte[8192];
        nint n;
        fixed (byte* p = buffer) n = readlink(path, p, (nuint)buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkDir(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int RmDir(string path);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkNod(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkFifo(string path, uint mode);

    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    // ---- extended attributes ----------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "llistxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint llistxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lremovexattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int RemoveXAttr(string path, string name);

    [LibraryImport("libc", EntryPoint = "fsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int fsetxattr(int fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "fgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint fgetxattr(int fd, string name, byte* value, nuint size);

    public static int FSetXAttr(int fd, string name, ReadOnlySpan<byte> value, int flags = 0)
    {
        fixed (byte* p = value) return fsetxattr(fd, name, p, (nuint)value.Length, flags);
    }

    /// <summary>Value length, or -1 with errno.</summary>
    public static long FGetXAttr(int fd, string name, Span<byte> value)
    {
        fixed (byte* p = value) return fgetxattr(fd, name, p, (nuint)value.Length);
    }

    public static int SetXAttr(string path, string name, ReadOnlySpan<byte> value, int flags = 0)
    {
        fixed (byte* p = value) return lsetxattr(path, name, p, (nuint)value.Length, flags);
    }

    /// <summary>Value length (only the length when <paramref name="value"/> is empty), or -1 with errno.</summary>
    public static long GetXAttr(string path, string name, Span<byte> value)
    {
        fixed (byte* p = value) return lgetxattr(path, name, value.IsEmpty ? null : p, (nuint)value.Length);
    }

    public static byte[]? GetXAttr(string path, string name)
    {
        long size = GetXAttr(path, name, Span<byte>.Empty);
        if (size < 0) return null;
        var value = new byte[size];
        long n = GetXAttr(path, name, value);
        return n < 0 ? null : value[..(int)n];
    }

    public static long ListXAttrRaw(string path, Span<byte> list)
    {
        fixed (byte* p = list) return llistxattr(path, list.IsEmpty ? null : p, (nuint)list.Length);
    }

    public static string[] ListXAttr(string path)
    {
        long size = Check(ListXAttrRaw(path, Span<byte>.Empty), $"listxattr {path}");
        var list = new byte[size];
        long n = Check(ListXAttrRaw(path, list), $"listxattr {path}");
        return Encoding.UTF8.GetString(list, 0, (int)n).Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    // ---- processes --------------------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    // ---- conveniences -------------------------------------------------------------------------

    public static int OpenOk(string path, int flags, uint mode = 0x1a4 /* 0644 */) =>
        Check(Open(path, flags | O_CLOEXEC, mode), $"open {path}");

    public static void PWriteAll(int fd, ReadOnlySpan<byte> data, long offset)
    {
        while (!data.IsEmpty)
        {
            long n = Check(PWrite(fd, data, offset), "pwrite");
            data = data[(int)n..];
            offset += n;
        }
    }

    public static byte[] PReadAll(int fd, long offset, int count)
    {
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            long n = Check(PRead(fd, buffer.AsSpan(done), offset + done), "pread");
            if (n == 0) break;
            done += (int)n;
        }
        return buffer[..done];
    }
}
