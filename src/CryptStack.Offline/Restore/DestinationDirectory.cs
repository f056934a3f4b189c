using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Restore;

/// <summary>
/// A directory of the restore destination, open as a descriptor: every entry is made with *at calls on it
/// and never through a symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), so a symlink restored earlier, or one already
/// in a destination restored over, cannot send later writes elsewhere. Results are 0 or -errno.
/// </summary>
internal sealed unsafe class DestinationDirectory : IDisposable
{
    /// <summary>Mode of what is being filled: the owner may write and search; the entry's own mode comes last.</summary>
    private const uint WorkingFileMode = 0x180 /* 0600 */, WorkingDirMode = 0x1C0 /* 0700 */;

    public int Fd { get; }
    /// <summary>The path, for messages.</summary>
    public string Path { get; }

    private DestinationDirectory(int fd, string path)
    {
        Fd = fd;
        Path = path;
    }

    /// <summary>Opens (creating if missing, with parents) the destination root.</summary>
    public static DestinationDirectory OpenRoot(string path)
    {
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OfflineException(OfflineErrorKind.Destination, $"{path}: cannot create the destination ({e.Message})");
        }
        int fd;
        fixed (byte* p = NativeString.Z(System.Text.Encoding.UTF8.GetBytes(path)))
            fd = Native.OpenAt(Native.AT_FDCWD, p, Native.O_RDONLY | Native.O_DIRECTORY);
        if (fd < 0) throw new OfflineException(OfflineErrorKind.Destination, $"{path}: cannot open the destination (errno {-fd})");
        return new DestinationDirectory(fd, path);
    }

    public static bool IsEmpty(string path) =>
        !Directory.Exists(path) || !Directory.EnumerateFileSystemEntries(path).Any();

    private string Child(ReadOnlySpan<byte> name) => System.IO.Path.Combine(Path, System.Text.Encoding.UTF8.GetString(name));

    /// <summary>Makes (or, with <paramref name="replace"/>, reuses) subdirectory <paramref name="name"/> and opens it.</summary>
    public int OpenSubdirectory(ReadOnlySpan<byte> name, bool replace, out DestinationDirectory? child)
    {
        child = null;
        fixed (byte* n = NativeString.Z(name))
        {
            int rc = Native.MkDirAt(Fd, n, WorkingDirMode);
            if (rc == -Errno.EEXIST && replace)
            {
                // An existing directory is merged into; anything else in the way is replaced.
                if (Native.FStatAt(Fd, n, out var st) == 0 && !Native.IsDirectory(st.Mode))
                {
                    rc = Native.UnlinkAt(Fd, n, 0);
                    if (rc == 0) rc = Native.MkDirAt(Fd, n, WorkingDirMode);
                }
                else rc = 0;
            }
            if (rc < 0) return rc;
            int fd = Native.OpenAt(Fd, n, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
            if (fd < 0) return fd;
            child = new DestinationDirectory(fd, Child(name));
            return 0;
        }
    }

    /// <summary>Creates regular file <paramref name="name"/> for writing; its fd, or -errno.</summary>
    public int CreateFile(ReadOnlySpan<byte> name, bool replace)
    {
        fixed (byte* n = NativeString.Z(name))
        {
            const int flags = Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW;
            int fd = Native.OpenAt(Fd, n, flags, WorkingFileMode);
            if (fd == -Errno.EEXIST && replace && RemoveNonDirectory(n) == 0) fd = Native.OpenAt(Fd, n, flags, WorkingFileMode);
            return fd;
        }
    }

    public int CreateSymlink(ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, bool replace)
    {
        fixed (byte* n = NativeString.Z(name))
        fixed (byte* t = NativeString.Z(target))
        {
            int rc = Native.SymlinkAt(t, Fd, n);
            if (rc == -Errno.EEXIST && replace && RemoveNonDirectory(n) == 0) rc = Native.SymlinkAt(t, Fd, n);
            return rc;
        }
    }

    /// <summary>A FIFO, socket or device node (devices need CAP_MKNOD: EPERM otherwise).</summary>
    public int CreateNode(ReadOnlySpan<byte> name, uint mode, ulong rdev, bool replace)
    {
        uint working = (mode & Native.S_IFMT) | WorkingFileMode;
        fixed (byte* n = NativeString.Z(name))
        {
            int rc = Native.MkNodAt(Fd, n, working, rdev);
            if (rc == -Errno.EEXIST && replace && RemoveNonDirectory(n) == 0) rc = Native.MkNodAt(Fd, n, working, rdev);
            return rc;
        }
    }

    /// <summary>A hard link named <paramref name="name"/> here to <paramref name="existing"/> (a path relative to <paramref name="root"/>).</summary>
    public int CreateLink(DestinationDirectory root, byte[] existing, ReadOnlySpan<byte> name, bool replace)
    {
        fixed (byte* e = NativeString.Z(existing))
        fixed (byte* n = NativeString.Z(name))
        {
            int rc = Native.LinkAt(root.Fd, e, Fd, n, 0);
            if (rc == -Errno.EEXIST && replace && RemoveNonDirectory(n) == 0) rc = Native.LinkAt(root.Fd, e, Fd, n, 0);
            return rc;
        }
    }

    /// <summary>Removes what is in the way of a new entry; a directory is left alone (EISDIR).</summary>
    private int RemoveNonDirectory(byte* n)
    {
        if (Native.FStatAt(Fd, n, out var st) == 0 && Native.IsDirectory(st.Mode)) return -Errno.EISDIR;
        return Native.UnlinkAt(Fd, n, 0);
    }

    /// <summary>Owner, then mode (chown clears set-id bits), of entry <paramref name="name"/> (not followed).</summary>
    public int SetOwnerAndMode(ReadOnlySpan<byte> name, in Stat attr, bool owner)
    {
        fixed (byte* n = NativeString.Z(name))
        {
            if (owner)
            {
                int rc = Native.FChownAt(Fd, n, attr.Uid, attr.Gid, Native.AT_SYMLINK_NOFOLLOW);
                if (rc < 0) return rc;
            }
            // A symlink's mode is fixed (and fchmodat cannot change it).
            return Native.IsSymlink(attr.Mode) ? 0 : Native.FChmodAtNoFollow(Fd, n, attr.Mode & 0xFFF);
        }
    }

    public int SetTimes(ReadOnlySpan<byte> name, in Stat attr)
    {
        TimeSpec* times = stackalloc TimeSpec[2];
        times[0] = attr.ATime;
        times[1] = attr.MTime;
        fixed (byte* n = NativeString.Z(name))
            return Native.UtimensAt(Fd, n, times, Native.AT_SYMLINK_NOFOLLOW);
    }

    /// <summary>Owner, mode and times of an open file or directory.</summary>
    public static int SetOwnerModeTimes(int fd, in Stat attr, bool owner)
    {
        if (owner)
        {
            int rc = Native.FChown(fd, attr.Uid, attr.Gid);
            if (rc < 0) return rc;
        }
        int mrc = Native.FChmod(fd, attr.Mode & 0xFFF);
        if (mrc < 0) return mrc;
        TimeSpec* times = stackalloc TimeSpec[2];
        times[0] = attr.ATime;
        times[1] = attr.MTime;
        return Native.FUtimens(fd, times);
    }

    /// <summary>Sets xattrs on an open file or directory (through /proc/self/fd, which reaches the inode itself).</summary>
    public static int SetXattr(int fd, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        byte* path = stackalloc byte[32];
        var span = new Span<byte>(path, 32);
        "/proc/self/fd/"u8.CopyTo(span);
        fd.TryFormat(span[14..], out int digits);
        span[14 + digits] = 0;
        fixed (byte* n = NativeString.Z(name))
            return Native.SetXAttr(path, n, value, 0);
    }

    public void Dispose() => Native.Close(Fd);
}
