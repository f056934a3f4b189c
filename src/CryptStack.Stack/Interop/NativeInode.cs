using System.Runtime.InteropServices;

namespace CryptStack.Stack.Interop;

/// <summary>The calls the inode-based stack adds: xattrs and chmod through a node's /proc/self/fd link, linkat with flags, directory stream positions.</summary>
public static unsafe partial class Native
{
    public const int AT_SYMLINK_FOLLOW = 0x400;

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true)]
    private static partial int chmod(byte* path, uint mode);
    public static int Chmod(byte* path, uint mode) => R(chmod(path, mode));

    public static int LinkAt(int oldDirFd, byte* oldName, int newDirFd, byte* newName, int flags) =>
        R(linkat(oldDirFd, oldName, newDirFd, newName, flags));

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true)]
    private static partial int setxattr(byte* path, byte* name, byte* value, nuint size, int flags);
    public static int SetXAttr(byte* path, byte* name, ReadOnlySpan<byte> value, int flags)
    {
        fixed (byte* v = value) return R(setxattr(path, name, v, (nuint)value.Length, flags));
    }

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true)]
    private static partial nint getxattr(byte* path, byte* name, byte* value, nuint size);
    public static int GetXAttr(byte* path, byte* name, Span<byte> value)
    {
        fixed (byte* v = value) return (int)R((long)getxattr(path, name, v, (nuint)value.Length));
    }

    [LibraryImport("libc", EntryPoint = "listxattr", SetLastError = true)]
    private static partial nint listxattr(byte* path, byte* list, nuint size);
    public static int ListXAttr(byte* path, Span<byte> list)
    {
        fixed (byte* l = list) return (int)R((long)listxattr(path, l, (nuint)list.Length));
    }

    [LibraryImport("libc", EntryPoint = "removexattr", SetLastError = true)]
    private static partial int removexattr(byte* path, byte* name);
    public static int RemoveXAttr(byte* path, byte* name) => R(removexattr(path, name));

    [LibraryImport("libc", EntryPoint = "seekdir")]
    public static partial void SeekDir(nint dir, long offset);

    [LibraryImport("libc", EntryPoint = "rewinddir")]
    public static partial void RewindDir(nint dir);
}

/// <summary>RLIMIT_NOFILE: every node the kernel knows holds a descriptor.</summary>
public static unsafe partial class DescriptorLimit
{
    private const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int setrlimit(int resource, RLimit* limit);

    /// <summary>
    /// Raises the descriptor limit as far as allowed: to fs.nr_open when privileged (the kernel may
    /// cache far more inodes than the usual hard limit of a few tens of thousands), else to the hard
    /// limit. Returns the soft limit now in force.
    /// </summary>
    public static ulong Raise()
    {
        RLimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
        if (ulong.TryParse(ReadNrOpen(), out ulong nrOpen) && nrOpen > limit.Max)
        {
            var wanted = new RLimit { Current = nrOpen, Max = nrOpen };
            if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) return nrOpen;
        }
        if (limit.Current < limit.Max)
        {
            var wanted = new RLimit { Current = limit.Max, Max = limit.Max };
            if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) return limit.Max;
        }
        return limit.Current;
    }

    private static string ReadNrOpen()
    {
        try { return File.ReadAllText("/proc/sys/fs/nr_open").Trim(); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
