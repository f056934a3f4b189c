using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Stack;

/// <summary>
/// A stacked filesystem over a backing directory: every operation is delegated to the backing
/// file or directory with fd-relative calls beneath the backing root, and attributes are copied
/// up with the <see cref="FsStack"/> helpers. The transforms decide what names, contents and
/// sizes look like; with <see cref="StackTransforms.Identity"/> this is a passthrough mount.
/// </summary>
public sealed unsafe class StackFileSystem : IFuseFileSystem, IDisposable
{
    private sealed class OpenFile(int fd, IFileContent content)
    {
        public readonly int Fd = fd;
        public readonly IFileContent Content = content;
        /// <summary>Written since the last flush: other names of a hard-linked file must then be refreshed.</summary>
        public bool Written;
    }

    private sealed class OpenDirectory(int fd, object? state)
    {
        public readonly int Fd = fd;
        public readonly object? State = state;
    }

    private readonly int _rootFd;
    private readonly IContentTransform _content;
    private readonly INameTransform _names;
    private readonly ISizeMap _sizes;
    private readonly DirectoryResolver _dirs;
    private readonly HandleTable<OpenFile> _files = new();
    private readonly HandleTable<OpenDirectory> _openDirs = new();
    private readonly HardLinkNames _links = new();
    private readonly ILogger _log;
    private readonly bool _asRoot;

    private long _activity;
    private int _openFiles;

    public string BackingPath { get; }

    /// <summary>Grows with every lookup and open: an idle watcher compares it over time.</summary>
    public long ActivityCount => Volatile.Read(ref _activity);

    public int OpenFileCount => Volatile.Read(ref _openFiles);

    public StackFileSystem(string backingPath, StackTransforms transforms, StackOptions options, ILogger logger)
    {
        BackingPath = Path.GetFullPath(backingPath);
        _log = logger;
        _content = transforms.Content;
        _names = transforms.Names;
        _sizes = transforms.Sizes;
        fixed (byte* p = NativeString.Z(Encoding.UTF8.GetBytes(BackingPath)))
            _rootFd = Native.OpenAt(Native.AT_FDCWD, p, Native.O_RDONLY | Native.O_DIRECTORY);
        if (_rootFd < 0)
            throw new StackException(-_rootFd, $"{BackingPath}: cannot open backing directory (errno {-_rootFd})");
        _dirs = new DirectoryResolver(_rootFd, _names, options.CacheDirectories, options.DirectoryCacheLifetime);
        _asRoot = Native.GetEuid() == 0;
    }

    public void Dispose()
    {
        _dirs.Dispose();
        Native.Close(_rootFd);
    }

    // ---- path resolution ------------------------------------------------------------------

    private static bool IsRoot(ReadOnlySpan<byte> path) => path.Length == 0 || (path.Length == 1 && path[0] == (byte)'/');

    /// <summary>Opens the parent of <paramref name="path"/> and encodes its last component.</summary>
    private int ResolveParent(ReadOnlySpan<byte> path, out LowerDirectory parent, out LowerName name)
    {
        int slash = path.LastIndexOf((byte)'/');
        int rc = _dirs.Open(path[..Math.Max(slash, 0)], out parent);
        if (rc < 0) { name = default; return rc; }
        try
        {
            name = _names.Encode(parent.State, path[(slash + 1)..]);
            return 0;
        }
        catch (StackException e)
        {
            parent.Dispose();
            name = default;
            return -e.Errno;
        }
    }

    /// <summary>
    /// "/proc/self/fd/PARENT/NAME" for the l*xattr calls: the magic link reaches the parent we
    /// resolved beneath the root, and the l-variants do not follow NAME if it is a symlink, so one
    /// syscall reaches the xattrs of any inode type (symlinks, fifos, devices) without opening it.
    /// </summary>
    private int OpenXattrTarget(ReadOnlySpan<byte> path, out LowerDirectory parent, out byte[] target)
    {
        if (IsRoot(path))
        {
            parent = new LowerDirectory(_rootFd, false, null);
            target = Encoding.ASCII.GetBytes($"/proc/self/fd/{_rootFd}/.\0");
            return 0;
        }
        int rc = ResolveParent(path, out parent, out var name);
        if (rc < 0)
        {
            target = [];
            return rc;
        }
        byte[] prefix = Encoding.ASCII.GetBytes($"/proc/self/fd/{parent.Fd}/");
        target = [.. prefix, .. name.Name, 0];
        return 0;
    }

    /// <summary>Gives a new entry to the calling user when the daemon runs as root (allow_other).</summary>
    private void ApplyCallerOwnership(int parentFd, byte* name)
    {
        if (!_asRoot) return;
        uint uid = FuseRequest.CallerUid, gid = FuseRequest.CallerGid;
        if (uid == 0 && gid == 0) return;
        // In a setgid directory the kernel already gave the entry the directory's group.
        if (Native.FStat(parentFd, out var parentStat) == 0 && (parentStat.Mode & Native.S_ISGID) != 0) gid = uint.MaxValue;
        Native.FChownAt(parentFd, name, uid, gid, Native.AT_SYMLINK_NOFOLLOW);
    }

    private void ApplyCallerOwnership(int fd)
    {
        if (!_asRoot) return;
        uint uid = FuseRequest.CallerUid, gid = FuseRequest.CallerGid;
        if (uid == 0 && gid == 0) return;
        Native.FChown(fd, uid, uid == uint.MaxValue ? uint.MaxValue : gid);
    }

    // ---- attributes -------------------------------------------------------------------------

    private void CopyUp(in Stat lower, ref Stat upper, int parentFd, ReadOnlySpan<byte> lowerName)
    {
        FsStack.CopyAttrAll(lower, ref upper);
        FsStack.CopyInodeSize(lower, ref upper, _sizes);
        if (!_names.IsIdentity && Native.IsSymlink(lower.Mode))
        {
            // A symlink's size is its target's length, which only decoding the target gives.
            Span<byte> stored = stackalloc byte[4096];
            Span<byte> plain = stackalloc byte[4096];
            fixed (byte* n = NativeString.Z(lowerName))
            {
                int len = Native.ReadLinkAt(parentFd, n, stored);
                if (len >= 0)
                {
                    int p = _names.DecodeLinkTarget(parentFd, lowerName, stored[..len], plain);
                    if (p >= 0) upper.Size = p;
                }
            }
        }
    }

    public int GetAttr(ReadOnlySpan<byte> path, ref Stat stat, FileInfoRef fi)
    {
        Interlocked.Increment(ref _activity);
        Stat lower;
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file)
        {
            int frc = Native.FStat(file.Fd, out lower);
            if (frc < 0) return frc;
            FsStack.CopyAttrAll(lower, ref stat);
            FsStack.CopyInodeSize(lower, ref stat, _sizes);
            return 0;
        }
        if (IsRoot(path))
        {
            int rrc = Native.FStat(_rootFd, out lower);
            if (rrc < 0) return rrc;
            FsStack.CopyAttrAll(lower, ref stat);
            stat.Size = lower.Size;
            return 0;
        }
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        {
            fixed (byte* n = NativeString.Z(name.Name))
                rc = Native.FStatAt(parent.Fd, n, out lower);
            if (rc < 0) return rc;
            CopyUp(lower, ref stat, parent.Fd, name.Name);
            _links.Seen(lower, path);
            // fstat(2) of an unlinked open file arrives here under its .fuse_hidden name:
            // for the user that name does not exist, so it does not count as a link.
            if (IsFuseHidden(path[(path.LastIndexOf((byte)'/') + 1)..]) && stat.NLink > 0) stat.NLink--;
        }
        return 0;
    }

    public int Chmod(ReadOnlySpan<byte> path, uint mode, FileInfoRef fi) => AfterChange(ChmodCore(path, mode, fi), path, fi);

    private int ChmodCore(ReadOnlySpan<byte> path, uint mode, FileInfoRef fi)
    {
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file) return Native.FChmod(file.Fd, mode);
        if (IsRoot(path)) return Native.FChmod(_rootFd, mode);
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            return Native.FChmodAtNoFollow(parent.Fd, n, mode);
    }

    public int Chown(ReadOnlySpan<byte> path, uint uid, uint gid, FileInfoRef fi) => AfterChange(ChownCore(path, uid, gid, fi), path, fi);

    private int ChownCore(ReadOnlySpan<byte> path, uint uid, uint gid, FileInfoRef fi)
    {
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file) return Native.FChown(file.Fd, uid, gid);
        if (IsRoot(path)) return Native.FChown(_rootFd, uid, gid);
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            return Native.FChownAt(parent.Fd, n, uid, gid, Native.AT_SYMLINK_NOFOLLOW);
    }

    public int UpdateTimestamps(ReadOnlySpan<byte> path, ref TimeSpec atime, ref TimeSpec mtime, FileInfoRef fi) =>
        AfterChange(UpdateTimestampsCore(path, ref atime, ref mtime, fi), path, fi);

    private int UpdateTimestampsCore(ReadOnlySpan<byte> path, ref TimeSpec atime, ref TimeSpec mtime, FileInfoRef fi)
    {
        TimeSpec* times = stackalloc TimeSpec[2];
        times[0] = atime;
        times[1] = mtime;
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file) return Native.FUtimens(file.Fd, times);
        if (IsRoot(path)) return Native.FUtimens(_rootFd, times);
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            return Native.UtimensAt(parent.Fd, n, times, Native.AT_SYMLINK_NOFOLLOW);
    }

    /// <summary>After a successful change to a hard-linked file, refresh what the kernel shows under its other names.</summary>
    private int AfterChange(int rc, ReadOnlySpan<byte> path, FileInfoRef fi)
    {
        if (rc < 0 || _links.IsEmpty) return rc;
        Stat lower;
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file)
        {
            if (Native.FStat(file.Fd, out lower) < 0) return rc;
        }
        else if (IsRoot(path) || StatEntry(path, out lower) < 0) return rc;
        _links.InvalidateOthers(lower, path);
        return rc;
    }

    private int StatEntry(ReadOnlySpan<byte> path, out Stat lower)
    {
        lower = default;
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            return Native.FStatAt(parent.Fd, n, out lower);
    }

    public int Access(ReadOnlySpan<byte> path, int mode)
    {
        if (IsRoot(path)) return 0;
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            return Native.FAccessAt(parent.Fd, n, mode, Native.AT_SYMLINK_NOFOLLOW);
    }

    public int StatFs(ReadOnlySpan<byte> path, ref StatVfs stat) => Native.FStatVfs(_rootFd, ref stat);

    // ---- namespace ------------------------------------------------------------------------

    public int MkNod(ReadOnlySpan<byte> path, uint mode, ulong rdev)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
        {
            rc = Native.MkNodAt(parent.Fd, n, mode, rdev);
            if (rc < 0) return rc;
            ApplyCallerOwnership(parent.Fd, n);
            _names.Created(parent.Fd, name, isDirectory: false);
            return 0;
        }
    }

    public int MkDir(ReadOnlySpan<byte> path, uint mode)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
        {
            rc = Native.MkDirAt(parent.Fd, n, mode);
            if (rc < 0) return rc;
            ApplyCallerOwnership(parent.Fd, n);
            try { _names.Created(parent.Fd, name, isDirectory: true); }
            catch (StackException e)
            {
                Native.UnlinkAt(parent.Fd, n, Native.AT_REMOVEDIR);
                return -e.Errno;
            }
            return 0;
        }
    }

    public int Unlink(ReadOnlySpan<byte> path)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
        {
            Stat before = default;
            bool linked = !_links.IsEmpty && Native.FStatAt(parent.Fd, n, out before) == 0 && before.NLink > 1;
            rc = Native.UnlinkAt(parent.Fd, n, 0);
            if (rc < 0) return rc;
            _names.Removed(parent.Fd, name);
            if (linked)
            {
                // The file lost a name: its other names show one link less.
                before.NLink--;
                _links.Forget(before, path);
                _links.InvalidateOthers(before, path);
            }
            return 0;
        }
    }

    public int RmDir(ReadOnlySpan<byte> path)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        {
            rc = _names.RemoveDirectory(parent.Fd, name);
            if (rc < 0) return rc;
            _names.Removed(parent.Fd, name);
        }
        _dirs.Invalidate(path);
        return 0;
    }

    public int SymLink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        {
            byte[] lowerTarget;
            try { lowerTarget = _names.EncodeLinkTarget(parent.Fd, name, target); }
            catch (StackException e) { return -e.Errno; }
            fixed (byte* n = NativeString.Z(name.Name))
            fixed (byte* t = NativeString.Z(lowerTarget))
            {
                rc = Native.SymlinkAt(t, parent.Fd, n);
                if (rc < 0) return rc;
                ApplyCallerOwnership(parent.Fd, n);
                _names.Created(parent.Fd, name, isDirectory: false);
                return 0;
            }
        }
    }

    public int ReadLink(ReadOnlySpan<byte> path, Span<byte> buffer)
    {
        if (buffer.Length == 0) return -Errno.EINVAL;
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
        {
            int len;
            if (_names.IsIdentity)
            {
                len = Native.ReadLinkAt(parent.Fd, n, buffer[..^1]);
                if (len < 0) return len;
            }
            else
            {
                byte[] stored = ArrayPool<byte>.Shared.Rent(4096);
                try
                {
                    int slen = Native.ReadLinkAt(parent.Fd, n, stored.AsSpan(0, 4096));
                    if (slen < 0) return slen;
                    len = _names.DecodeLinkTarget(parent.Fd, name.Name, stored.AsSpan(0, slen), buffer[..^1]);
                    if (len < 0) return len;
                }
                finally { ArrayPool<byte>.Shared.Return(stored); }
            }
            buffer[len] = 0;
            return 0;
        }
    }

    public int Rename(ReadOnlySpan<byte> path, ReadOnlySpan<byte> newPath, uint flags)
    {
        int rc = ResolveParent(path, out var oldParent, out var oldName);
        if (rc < 0) return rc;
        using (oldParent)
        {
            rc = ResolveParent(newPath, out var newParent, out var newName);
            if (rc < 0) return rc;
            using (newParent)
            fixed (byte* o = NativeString.Z(oldName.Name))
            fixed (byte* nn = NativeString.Z(newName.Name))
            {
                Stat source = default, target = default;
                bool track = !_links.IsEmpty;
                bool sourceKnown = track && Native.FStatAt(oldParent.Fd, o, out source) == 0;
                bool targetKnown = track && Native.FStatAt(newParent.Fd, nn, out target) == 0;
                rc = Native.RenameAt2(oldParent.Fd, o, newParent.Fd, nn, flags);
                if (rc == -Errno.ENOTEMPTY && !_names.IsIdentity)
                {
                    // The target directory may be empty to the user but hold the transform's own
                    // files (a directory id): let the transform remove it, then move into place.
                    rc = _names.RemoveDirectory(newParent.Fd, newName);
                    if (rc == 0)
                    {
                        _names.Removed(newParent.Fd, newName);
                        rc = Native.RenameAt2(oldParent.Fd, o, newParent.Fd, nn, flags);
                    }
                }
                if (rc < 0) return rc;
                _names.Renamed(oldParent.Fd, oldName, newParent.Fd, newName, flags);
                if (track) RenamedLinks(path, newPath, flags, sourceKnown, source, targetKnown, target);
            }
        }
        _dirs.Invalidate(path);
        _dirs.Invalidate(newPath);
        return 0;
    }

    /// <summary>Keeps the names of hard-linked files right across a rename (see <see cref="HardLinkNames"/>).</summary>
    private void RenamedLinks(ReadOnlySpan<byte> path, ReadOnlySpan<byte> newPath, uint flags,
        bool sourceKnown, Stat source, bool targetKnown, Stat target)
    {
        bool exchange = (flags & Native.RENAME_EXCHANGE) != 0;
        if (!exchange && sourceKnown && targetKnown && source.Dev == target.Dev && source.Ino == target.Ino)
        {
            // rename(2) between two hard links of one file: the backing filesystem changes nothing, but
            // the kernel (one inode per name here) moves its inode for `path` over `newPath`, so that
            // is the name under which it now caches this file; `path` comes back on its next lookup.
            _links.Forget(source, path);
            _links.Forget(source, newPath);
            _links.Seen(source, newPath);
            return;
        }
        if ((sourceKnown && Native.IsDirectory(source.Mode)) || (exchange && targetKnown && Native.IsDirectory(target.Mode)))
            _links.DirectoryMoved(path, newPath, exchange);
        if (sourceKnown && Native.IsRegular(source.Mode) && source.NLink > 1)
        {
            _links.Forget(source, path);
            _links.Seen(source, newPath);
        }
        if (!targetKnown || !Native.IsRegular(target.Mode) || target.NLink < 2) return;
        _links.Forget(target, newPath);
        if (exchange)
        {
            _links.Seen(target, path);
            return;
        }
        // The replaced file lost a name: its other names show one link less.
        target.NLink--;
        _links.InvalidateOthers(target, newPath);
    }

    public int Link(ReadOnlySpan<byte> path, ReadOnlySpan<byte> newPath)
    {
        int rc = ResolveParent(path, out var oldParent, out var oldName);
        if (rc < 0) return rc;
        using (oldParent)
        {
            rc = ResolveParent(newPath, out var newParent, out var newName);
            if (rc < 0) return rc;
            using (newParent)
            fixed (byte* o = NativeString.Z(oldName.Name))
            fixed (byte* nn = NativeString.Z(newName.Name))
            {
                rc = Native.LinkAt(oldParent.Fd, o, newParent.Fd, nn);
                if (rc < 0) return rc;
                _names.Created(newParent.Fd, newName, isDirectory: false);
                if (Native.FStatAt(newParent.Fd, nn, out var linked) == 0)
                {
                    _links.Seen(linked, path);
                    _links.Seen(linked, newPath);
                    // The kernel refreshes only the new name's inode; the old name's would show one link less.
                    _links.InvalidateOthers(linked, newPath);
                }
                return 0;
            }
        }
    }

    // ---- files ------------------------------------------------------------------------------

    private int AddOpenFile(int fd, ReadOnlySpan<byte> upperPath, in LowerName lowerName, ref FuseFileInfo fi, bool truncate)
    {
        IFileContent content;
        try
        {
            content = _content.Open(new LowerFile(fd, Encoding.UTF8.GetString(upperPath), Encoding.UTF8.GetString(lowerName.Name)));
        }
        catch (StackException e)
        {
            Native.Close(fd);
            return -e.Errno;
        }
        if (truncate)
        {
            // libfuse asks for atomic O_TRUNC, so the kernel leaves truncating to us; transforms
            // strip O_TRUNC from the backing open (a header may have to survive), so the
            // content does it, in its own terms.
            int trc = content.SetLength(0);
            if (trc < 0)
            {
                content.Dispose();
                Native.Close(fd);
                return trc;
            }
        }
        fi.FileHandle = _files.Add(new OpenFile(fd, content) { Written = truncate });
        Interlocked.Increment(ref _openFiles);
        Interlocked.Increment(ref _activity);
        return 0;
    }

    public int Open(ReadOnlySpan<byte> path, ref FuseFileInfo fi)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        int fd;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            fd = Native.OpenAt(parent.Fd, n, _content.LowerOpenFlags(fi.Flags) | Native.O_NOFOLLOW);
        if (fd < 0) return fd;
        return AddOpenFile(fd, path, name, ref fi, truncate: (fi.Flags & Native.O_TRUNC) != 0);
    }

    public int Create(ReadOnlySpan<byte> path, uint mode, ref FuseFileInfo fi)
    {
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        int fd;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
        {
            int flags = _content.LowerOpenFlags(fi.Flags) | Native.O_CREAT | Native.O_NOFOLLOW | (fi.Flags & Native.O_EXCL);
            fd = Native.OpenAt(parent.Fd, n, flags, mode);
            if (fd < 0) return fd;
            ApplyCallerOwnership(fd);
            _names.Created(parent.Fd, name, isDirectory: false);
        }
        // Without O_EXCL, create may open a file that already exists: O_TRUNC applies to it.
        return AddOpenFile(fd, path, name, ref fi, truncate: (fi.Flags & Native.O_TRUNC) != 0);
    }

    public int Read(ReadOnlySpan<byte> path, Span<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Read(buffer, offset);
    }

    public int Write(ReadOnlySpan<byte> path, ReadOnlySpan<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        if (file == null) return -Errno.EBADF;
        file.Written = true;
        return file.Content.Write(buffer, offset);
    }

    public int Truncate(ReadOnlySpan<byte> path, long length, FileInfoRef fi) => AfterChange(TruncateCore(path, length, fi), path, fi);

    private int TruncateCore(ReadOnlySpan<byte> path, long length, FileInfoRef fi)
    {
        if (length < 0) return -Errno.EINVAL;
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file) return file.Content.SetLength(length);
        int rc = ResolveParent(path, out var parent, out var name);
        if (rc < 0) return rc;
        int fd;
        using (parent)
        fixed (byte* n = NativeString.Z(name.Name))
            fd = Native.OpenAt(parent.Fd, n, _content.LowerOpenFlags(Native.O_WRONLY) | Native.O_NOFOLLOW);
        if (fd < 0) return fd;
        try
        {
            using var content = _content.Open(new LowerFile(fd, Encoding.UTF8.GetString(path), Encoding.UTF8.GetString(name.Name)));
            return content.SetLength(length);
        }
        catch (StackException e) { return -e.Errno; }
        finally { Native.Close(fd); }
    }

    public int FAllocate(ReadOnlySpan<byte> path, int mode, long offset, long length, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        if (file == null) return -Errno.EBADF;
        file.Written = true;
        return file.Content.Allocate(mode, offset, length);
    }

    public long LSeek(ReadOnlySpan<byte> path, long offset, int whence, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Seek(offset, whence);
    }

    public int Flush(ReadOnlySpan<byte> path, ref FuseFileInfo fi)
    {
        // close(2) of a written hard-linked file: its other names must show the new size and data.
        var file = _files.Get(fi.FileHandle);
        if (file == null || !file.Written || _links.IsEmpty) return 0;
        file.Written = false;
        if (Native.FStat(file.Fd, out var lower) == 0 && lower.NLink > 1) _links.InvalidateOthers(lower, path);
        return 0;
    }

    public int Release(ReadOnlySpan<byte> path, ref FuseFileInfo fi)
    {
        var file = _files.Remove(fi.FileHandle);
        if (file == null) return 0;
        Interlocked.Decrement(ref _openFiles);
        try { file.Content.Dispose(); }
        finally { Native.Close(file.Fd); }
        return 0;
    }

    public int FSync(ReadOnlySpan<byte> path, bool dataOnly, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Sync(dataOnly);
    }

    // ---- directories ----------------------------------------------------------------------

    public int OpenDir(ReadOnlySpan<byte> path, ref FuseFileInfo fi)
    {
        int rc = _dirs.Open(IsRoot(path) ? default : path, out var dir);
        if (rc < 0) return rc;
        int fd;
        fixed (byte* dot = ".\0"u8)
            fd = Native.OpenAt(dir.Fd, dot, Native.O_RDONLY | Native.O_DIRECTORY);
        var state = dir.State;
        dir.Dispose();
        if (fd < 0) return fd;
        fi.FileHandle = _openDirs.Add(new OpenDirectory(fd, state));
        Interlocked.Increment(ref _activity);
        return 0;
    }

    public int ReadDir(ReadOnlySpan<byte> path, DirectoryFiller filler, long offset, ref FuseFileInfo fi, bool plus)
    {
        var dir = _openDirs.Get(fi.FileHandle);
        if (dir == null) return -Errno.EBADF;
        int fd;
        // A fresh descriptor per listing: readdir state must not be shared between callers.
        fixed (byte* dot = ".\0"u8)
            fd = Native.OpenAt(dir.Fd, dot, Native.O_RDONLY | Native.O_DIRECTORY);
        if (fd < 0) return fd;
        nint stream = Native.FdOpenDir(fd);
        if (stream == 0)
        {
            Native.Close(fd);
            return -Errno.ENOMEM;
        }
        try
        {
            Native.Dirent* entry;
            while ((entry = Native.ReadDir(stream)) != null)
            {
                var lowerName = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry->Name);
                var st = new Stat { Ino = entry->Ino, Mode = (uint)entry->Type << 12 };
                bool full;
                if (_names.IsIdentity || IsDotOrDotDot(lowerName))
                {
                    if (IsFuseHidden(lowerName)) continue;
                    full = filler.Add(lowerName, st, false);
                }
                else
                {
                    byte[]? upper = _names.Decode(dir.State, dir.Fd, lowerName);
                    if (upper == null || IsFuseHidden(upper)) continue;
                    full = filler.Add(upper, st, false);
                }
                if (!full) break;
            }
        }
        finally { Native.CloseDir(stream); }
        return 0;
    }

    // Unlinked files still open somewhere (FuseMount.FuseHiddenPrefix): gone for the user.
    private static bool IsFuseHidden(ReadOnlySpan<byte> upperName) => upperName.StartsWith(".fuse_hidden"u8);

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> n) =>
        (n.Length == 1 && n[0] == (byte)'.') || (n.Length == 2 && n[0] == (byte)'.' && n[1] == (byte)'.');

    public int ReleaseDir(ReadOnlySpan<byte> path, ref FuseFileInfo fi)
    {
        var dir = _openDirs.Remove(fi.FileHandle);
        if (dir != null) Native.Close(dir.Fd);
        return 0;
    }

    public int FSyncDir(ReadOnlySpan<byte> path, bool dataOnly, ref FuseFileInfo fi)
    {
        var dir = _openDirs.Get(fi.FileHandle);
        if (dir == null) return -Errno.EBADF;
        return dataOnly ? Native.FDataSync(dir.Fd) : Native.FSync(dir.Fd);
    }

    // ---- extended attributes ------------------------------------------------------------

    public int SetXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.EOPNOTSUPP;
        int rc = OpenXattrTarget(path, out var parent, out byte[] target);
        if (rc < 0) return rc;
        using (parent)
        {
            ReadOnlySpan<byte> stored = _names.IsIdentity ? value : _names.EncodeXattrValue(lowerName, value);
            fixed (byte* p = target)
            fixed (byte* n = NativeString.Z(lowerName))
                return Native.LSetXAttr(p, n, stored, flags);
        }
    }

    public int GetXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.ENODATA;
        int rc = OpenXattrTarget(path, out var parent, out byte[] target);
        if (rc < 0) return rc;
        using (parent)
        {
            fixed (byte* p = target)
            fixed (byte* n = NativeString.Z(lowerName))
            {
                if (_names.IsIdentity) return Native.LGetXAttr(p, n, value);
                byte[] stored = ArrayPool<byte>.Shared.Rent(64 * 1024 + 64);
                try
                {
                    int len = Native.LGetXAttr(p, n, stored);
                    if (len < 0) return len;
                    return _names.DecodeXattrValue(lowerName, stored.AsSpan(0, len), value);
                }
                finally { ArrayPool<byte>.Shared.Return(stored); }
            }
        }
    }

    public int ListXAttr(ReadOnlySpan<byte> path, Span<byte> list)
    {
        int rc = OpenXattrTarget(path, out var parent, out byte[] target);
        if (rc < 0) return rc;
        using (parent)
        {
            fixed (byte* p = target)
            {
                if (_names.IsIdentity) return Native.LListXAttr(p, list);
                byte[] stored = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    int len = Native.LListXAttr(p, stored);
                    if (len < 0) return len;
                    int total = 0;
                    foreach (var range in new NulSeparated(stored.AsSpan(0, len)))
                    {
                        byte[]? upper = _names.DecodeXattrName(stored.AsSpan(range));
                        if (upper == null) continue;
                        if (list.Length > 0)
                        {
                            if (total + upper.Length + 1 > list.Length) return -Errno.ERANGE;
                            upper.CopyTo(list[total..]);
                            list[total + upper.Length] = 0;
                        }
                        total += upper.Length + 1;
                    }
                    return total;
                }
                finally { ArrayPool<byte>.Shared.Return(stored); }
            }
        }
    }

    public int RemoveXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.ENODATA;
        int rc = OpenXattrTarget(path, out var parent, out byte[] target);
        if (rc < 0) return rc;
        using (parent)
        {
            fixed (byte* p = target)
            fixed (byte* n = NativeString.Z(lowerName))
                return Native.LRemoveXAttr(p, n);
        }
    }
}

/// <summary>Splits a NUL-separated list (listxattr) into ranges.</summary>
internal ref struct NulSeparated(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _start = 0;
    public Range Current { get; private set; }
    public readonly NulSeparated GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_start >= _data.Length) return false;
        int end = _data[_start..].IndexOf((byte)0);
        end = end < 0 ? _data.Length : _start + end;
        Current = new Range(_start, end);
        _start = end + 1;
        return true;
    }
}
