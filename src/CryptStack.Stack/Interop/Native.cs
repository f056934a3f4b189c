using System.Runtime.InteropServices;
using CryptStack.Fuse;

namespace CryptStack.Stack.Interop;

/// <summary>
/// The fd-relative libc calls the stack is built on. Every call returns the kernel's result or
/// -errno, so results flow straight back to FUSE without exceptions.
/// </summary>
public static unsafe partial class Native
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0x40, O_EXCL = 0x80,
        O_NOCTTY = 0x100, O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000,
        O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000, O_DIRECT = 0x4000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_ISGID = 0x400;
    public const int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
    public const int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_COLLAPSE_RANGE = 8,
        FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20;
    public const uint RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;
    public const int F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
    public const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

    private const long SYS_fchmodat2 = 452;

    [StructLayout(LayoutKind.Sequential)]
    public struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    private static int R(int rc) => rc < 0 ? -Marshal.GetLastPInvokeError() : rc;
    private static long R(long rc) => rc < 0 ? -Marshal.GetLastPInvokeError() : rc;

    public static bool IsRegular(uint mode) => (mode & S_IFMT) == S_IFREG;
    public static bool IsSymlink(uint mode) => (mode & S_IFMT) == S_IFLNK;
    public static bool IsDirectory(uint mode) => (mode & S_IFMT) == S_IFDIR;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);

    public static int FChmodAtNoFollow(int dirFd, byte* name, uint mode) =>
        (int)R(Syscall(SYS_fchmodat2, dirFd, (long)name, mode, AT_SYMLINK_NOFOLLOW));

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int dirFd, byte* path, int flags, uint mode);
    public static int OpenAt(int dirFd, byte* path, int flags, uint mode = 0) => R(openat(dirFd, path, flags | O_CLOEXEC, mode));

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
    public static int Close(int fd) => R(close(fd));

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buf, nuint count, long offset);
    public static int PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer) return (int)R((long)pread(fd, p, (nuint)buffer.Length, offset));
    }

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buf, nuint count, long offset);
    public static int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer) return (int)R((long)pwrite(fd, p, (nuint)buffer.Length, offset));
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat(int fd, Stat* st);
    public static int FStat(int fd, out Stat st)
    {
        fixed (Stat* p = &st) return R(fstat(fd, p));
    }

    [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true)]
    private static partial int fstatat(int dirFd, byte* name, Stat* st, int flags);
    public static int FStatAt(int dirFd, byte* name, out Stat st, int flags = AT_SYMLINK_NOFOLLOW)
    {
        fixed (Stat* p = &st) return R(fstatat(dirFd, name, p, flags));
    }

    [LibraryImport("libc", EntryPoint = "fstatvfs", SetLastError = true)]
    private static partial int fstatvfs(int fd, StatVfs* st);
    public static int FStatVfs(int fd, ref StatVfs st)
    {
        fixed (StatVfs* p = &st) return R(fstatvfs(fd, p));
    }

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate(int fd, long length);
    public static int FTruncate(int fd, long length) => R(ftruncate(fd, length));

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);
    public static int FSync(int fd) => R(fsync(fd));

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync(int fd);
    public static int FDataSync(int fd) => R(fdatasync(fd));

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);
    public static int FAllocate(int fd, int mode, long offset, long length) => R(fallocate(fd, mode, offset, length));

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);
    public static long LSeek(int fd, long offset, int whence) => R(lseek(fd, offset, whence));

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int mkdirat(int dirFd, byte* name, uint mode);
    public static int MkDirAt(int dirFd, byte* name, uint mode) => R(mkdirat(dirFd, name, mode));

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true)]
    private static partial int mknodat(int dirFd, byte* name, uint mode, ulong dev);
    public static int MkNodAt(int dirFd, byte* name, uint mode, ulong dev) => R(mknodat(dirFd, name, mode, dev));

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int unlinkat(int dirFd, byte* name, int flags);
    public static int UnlinkAt(int dirFd, byte* name, int flags) => R(unlinkat(dirFd, name, flags));

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static partial int renameat2(int oldDirFd, byte* oldName, int newDirFd, byte* newName, uint flags);
    public static int RenameAt2(int oldDirFd, byte* oldName, int newDirFd, byte* newName, uint flags) =>
        R(renameat2(oldDirFd, oldName, newDirFd, newName, flags));

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static partial int linkat(int oldDirFd, byte* oldName, int newDirFd, byte* newName, int flags);
    public static int LinkAt(int oldDirFd, byte* oldName, int newDirFd, byte* newName) =>
        R(linkat(oldDirFd, oldName, newDirFd, newName, 0));

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int symlinkat(byte* target, int dirFd, byte* name);
    public static int SymlinkAt(byte* target, int dirFd, byte* name) => R(symlinkat(target, dirFd, name));

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint readlinkat(int dirFd, byte* name, byte* buf, nuint size);
    public static int ReadLinkAt(int dirFd, byte* name, Span<byte> buffer)
    {
        fixed (byte* b = buffer) return (int)R((long)readlinkat(dirFd, name, b, (nuint)buffer.Length));
    }

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    private static partial int fchownat(int dirFd, byte* name, uint uid, uint gid, int flags);
    public static int FChownAt(int dirFd, byte* name, uint uid, uint gid, int flags) => R(fchownat(dirFd, name, uid, gid, flags));

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(int fd, uint uid, uint gid);
    public static int FChown(int fd, uint uid, uint gid) => R(fchown(fd, uid, gid));

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);
    public static int FChmod(int fd, uint mode) => R(fchmod(fd, mode));

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true)]
    private static partial int utimensat(int dirFd, byte* name, TimeSpec* times, int flags);
    public static int UtimensAt(int dirFd, byte* name, TimeSpec* times, int flags) => R(utimensat(dirFd, name, times, flags));

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(int fd, TimeSpec* times);
    public static int FUtimens(int fd, TimeSpec* times) => R(futimens(fd, times));

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, Flock* arg);
    public static int FcntlLock(int fd, int cmd, ref Flock flock)
    {
        fixed (Flock* p = &flock) return R(fcntl(fd, cmd, p));
    }

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    public static partial nint FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    public static partial Dirent* ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [StructLayout(LayoutKind.Sequential)]
    public struct Dirent
    {
        public ulong Ino;
        public long Off;
        public ushort RecLen;
        public byte Type;
        public fixed byte Name[256];
    }
}
