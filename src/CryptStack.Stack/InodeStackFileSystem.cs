using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Stack;

/// <summary>
/// The stacked filesystem over the FUSE protocol's inode-based requests. Every node the kernel knows has
/// an O_PATH descriptor of its backing inode (<see cref="InodeTable"/>; a bounded cache, reopened
/// from the node's parent and backing name when it was closed), and every operation runs on
/// (parent node descriptor, backing name) or on the node's own descriptor: no path is resolved
/// per request, and no symlink or ".." in the backing tree is ever followed (names are single
/// components, opened O_NOFOLLOW). Hard links are one node, so they share attributes and pages;
/// an unlinked file that is still open keeps its node and descriptor until the kernel forgets it.
/// Transforms, fs/stack.c helpers and ownership rules are those of <see cref="StackFileSystem"/>.
/// </summary>
public sealed unsafe partial class InodeStackFileSystem : IFuseLowLevelFileSystem, IDisposable
{
    private sealed class OpenFile(int fd, IFileContent content, InodeNode node)
    {
        public readonly int Fd = fd;
        public readonly IFileContent Content = content;
        public readonly InodeNode Node = node;
    }

    private sealed class OpenDirectory(int fd, nint stream, object? state)
    {
        public readonly int Fd = fd;
        public readonly nint Stream = stream;
        public readonly object? State = state;
        /// <summary>Where the stream stands (telldir cookie); guarded by locking this object.</summary>
        public long Position;
    }

    private readonly int _rootFd;
    private readonly IContentTransform _content;
    private readonly INameTransform _names;
    private readonly ISizeMap _sizes;
    private readonly InodeTable _nodes;
    private readonly HandleTable<OpenFile> _files = new();
    private readonly HandleTable<OpenDirectory> _openDirs = new();
    private readonly ILogger _log;
    private readonly bool _asRoot;
    private long _activity;
    private int _openFiles;

    public string BackingPath { get; }
    /// <summary>
    /// Opens, creates and directory listings so far: what counts as use for an idle unmount (with
    /// <see cref="OpenFileCount"/>, which covers reads and writes). Lookups and getattr do not count, as in
    /// gocryptfs: prompts, file managers and monitoring stat a mount every few seconds without using it.
    /// </summary>
    public long ActivityCount => Volatile.Read(ref _activity);
    public int OpenFileCount => Volatile.Read(ref _openFiles);

    public InodeStackFileSystem(string backingPath, StackTransforms transforms, ILogger logger)
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
        // Node descriptors get what the process may open less a reserve for open files, directory
        // streams and the runtime's own (about a hundred: it maps each assembly); when even that
        // runs out, InodeTable.MakeRoom takes from the nodes.
        long limit = (long)Math.Min(DescriptorLimit.Raise(), int.MaxValue);
        int budget = (int)(limit - Math.Max(256, limit / 4));
        _nodes = new InodeTable(_rootFd, budget, notice => _log.LogInformation("{Backing}: {Notice}", BackingPath, notice));
        _asRoot = Native.GetEuid() == 0;
        // Fail at mount time, not at the first request, if the transform cannot read the root.
        DirectoryState(_nodes.Root);
    }

    public void Dispose()
    {
        _nodes.Dispose();
        Native.Close(_rootFd);
    }

    // ---- nodes ------------------------------------------------------------------------------

    private InodeNode Node(ulong id) =>
        _nodes.Get(id) ?? throw new StackException(Errno.ESTALE, $"node {id} is not known");

    /// <summary>The node's descriptor for one operation (dispose it); throws ESTALE if it cannot be reached.</summary>
    private NodeFd Use(InodeNode node)
    {
        var fd = _nodes.Acquire(node);
        return fd.Fd >= 0 ? fd : throw new StackException(-fd.Fd, $"{node.UpperName}: cannot reach the backing inode (errno {-fd.Fd})");
    }

    private object? DirectoryState(InodeNode dir)
    {
        if (dir.DirectoryLoaded) return dir.DirectoryState;
        bool isRoot = dir == _nodes.Root;
        // The parent's state first (outside this node's lock: locks go child after parent, never the other way).
        var at = isRoot ? null : dir.Location ?? throw new StackException(Errno.ESTALE, $"{dir.UpperName}: directory has no parent");
        object? parent = at == null ? null : DirectoryState(at.Parent);
        lock (dir)
        {
            if (dir.DirectoryLoaded) return dir.DirectoryState;
            using var fd = Use(dir);
            dir.DirectoryState = _names.LoadDirectory(fd.Fd, isRoot ? "/" : dir.UpperName, isRoot, parent, at == null ? default : at.LowerName);
            dir.DirectoryLoaded = true;
            return dir.DirectoryState;
        }
    }

    private LowerName Encode(InodeNode parent, ReadOnlySpan<byte> upperName) => _names.Encode(DirectoryState(parent), upperName);

    /// <summary>
    /// "/proc/self/fd/N\0" into <paramref name="path"/> (32 bytes): reaches a node's inode through its
    /// O_PATH descriptor (xattrs, chmod, reopening), whatever name it has now, even none.
    /// </summary>
    private static byte* ProcPath(int fd, byte* path)
    {
        var span = new Span<byte>(path, 32);
        "/proc/self/fd/"u8.CopyTo(span);
        fd.TryFormat(span[14..], out int digits);
        span[14 + digits] = 0;
        return path;
    }

    /// <summary>Opens the entry <paramref name="lower"/> of <paramref name="parent"/> (open as <paramref name="parentFd"/>) as a node and fills the kernel's entry (one lookup).</summary>
    /// <param name="probe">
    /// The entry is likely a known node (a lookup, or a listed entry whose inode number is a known
    /// node's): try one fstatat first, which for a known node is all it takes, before the
    /// openat + fstat (+ close, if known after all) that a new node needs.
    /// </param>
    private int Enter(InodeNode parent, int parentFd, ReadOnlySpan<byte> upperName, in LowerName lower, out FuseEntryParam entry, bool probe = false)
    {
        entry = default;
        if (probe)
        {
            int prc;
            Stat probed;
            fixed (byte* n = NativeString.Z(lower.Name, stackalloc byte[NativeString.NameBuffer]))
                prc = Native.FStatAt(parentFd, n, out probed);
            if (prc < 0) return prc;
            if (_nodes.CountLookup((probed.Dev, probed.Ino), probed.Mode, parent, lower.Name, upperName) is { } known)
            {
                entry.Ino = known.Id;
                CopyUp(probed, ref entry.Attr, known);
                return 0;
            }
        }
        int fd = _nodes.OpenPath(parentFd, lower.Name);
        if (fd < 0) return fd;
        int rc = Native.FStat(fd, out var lowerStat);
        if (rc < 0)
        {
            Native.Close(fd);
            return rc;
        }
        var node = _nodes.Intern(fd, lowerStat, parent, lower.Name, upperName);
        entry.Ino = node.Id;
        CopyUp(lowerStat, ref entry.Attr, node);
        return 0;
    }

    /// <summary>
    /// The entry <paramref name="lowerZ"/> of <paramref name="dir"/> is about to lose its name: if it
    /// is a known node last seen under that name, it keeps its descriptor (open files, xattrs and
    /// attributes of an unlinked inode go through it). Returns the node to
    /// <see cref="InodeTable.Detach"/> once the removal succeeded: one that keeps no descriptor, for
    /// an inode losing its last link.
    /// </summary>
    private InodeNode? PinBeforeRemoval(InodeNode dir, int dirFd, byte* lowerZ, byte[] lowerName)
    {
        if (Native.FStatAt(dirFd, lowerZ, out var st) < 0) return null;
        if (_nodes.Find((st.Dev, st.Ino)) is not { } node) return null;
        if (node.Location is not { } at || at.Parent != dir || !at.LowerName.AsSpan().SequenceEqual(lowerName)) return null;
        bool lastLink = Native.IsDirectory(st.Mode) || st.NLink <= 1;
        return !_nodes.Pin(node) && lastLink ? node : null;
    }

    private void CopyUp(in Stat lower, ref Stat upper, InodeNode node)
    {
        FsStack.CopyAttrAll(lower, ref upper);
        FsStack.CopyInodeSize(lower, ref upper, _sizes);
        if (!_names.IsIdentity && Native.IsSymlink(lower.Mode))
        {
            // A symlink's size is its target's length, which only decoding the target gives.
            Span<byte> plain = stackalloc byte[4096];
            int p;
            try { p = ReadLinkCore(node, plain); }
            catch (StackException) { p = -1; }
            if (p >= 0) upper.Size = p;
        }
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

    // ---- lookup and attributes --------------------------------------------------------------

    public int Lookup(ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            int rc = Enter(dir, dirFd.Fd, name, lower, out entry, probe: true);
            if (rc == -Errno.ENOENT && _names.EncodePrevious(DirectoryState(dir), name) is { } previous)
                rc = Enter(dir, dirFd.Fd, name, previous, out entry, probe: true);
            // A cacheable "no such entry" (the binding answers ENOENT if negative caching is off).
            if (rc == -Errno.ENOENT) { entry = default; return 0; }
            return rc;
        }
        catch (StackException e) { return -e.Errno; }
    }

    public void Forget(ulong node, ulong lookups) => _nodes.Forget(node, lookups);

    public int GetAttr(ulong node, out Stat stat, FileInfoRef fi)
    {
        stat = default;
        Stat lower;
        if (!fi.IsNull && _files.Get(fi.Value.FileHandle) is { } file)
        {
            int frc = Native.FStat(file.Fd, out lower);
            if (frc < 0) return frc;
            FsStack.CopyAttrAll(lower, ref stat);
            FsStack.CopyInodeSize(lower, ref stat, _sizes);
            return 0;
        }
        var n = _nodes.Get(node);
        if (n == null) return -Errno.ESTALE;
        using (var fd = _nodes.Acquire(n))
        {
            if (fd.Fd < 0) return fd.Fd;
            int rc = Native.FStat(fd.Fd, out lower);
            if (rc < 0) return rc;
        }
        CopyUp(lower, ref stat, n);
        return 0;
    }

    public int SetAttr(ulong node, ref Stat stat, int toSet, FileInfoRef fi)
    {
        try
        {
            int rc = SetAttrCore(node, ref stat, toSet, fi);
            return rc < 0 ? rc : GetAttr(node, out stat, fi);
        }
        catch (StackException e) { return -e.Errno; }
    }

    private int SetAttrCore(ulong node, ref Stat stat, int toSet, FileInfoRef fi)
    {
        var n = Node(node);
        var file = fi.IsNull ? null : _files.Get(fi.Value.FileHandle);
        // Failure to reach the node matters only to the calls below that need it.
        using var nodeFd = _nodes.Acquire(n);
        byte* proc = stackalloc byte[32];
        int rc;
        if ((toSet & SetAttrFields.Mode) != 0)
        {
            if (file != null) rc = Native.FChmod(file.Fd, stat.Mode);
            else if (n.IsSymlink) rc = -Errno.EOPNOTSUPP;
            else rc = nodeFd.Fd < 0 ? nodeFd.Fd : Native.Chmod(ProcPath(nodeFd.Fd, proc), stat.Mode);
            if (rc < 0) return rc;
        }
        if ((toSet & (SetAttrFields.Uid | SetAttrFields.Gid)) != 0)
        {
            uint uid = (toSet & SetAttrFields.Uid) != 0 ? stat.Uid : uint.MaxValue;
            uint gid = (toSet & SetAttrFields.Gid) != 0 ? stat.Gid : uint.MaxValue;
            if (nodeFd.Fd < 0) return nodeFd.Fd;
            fixed (byte* empty = "\0"u8)
                rc = Native.FChownAt(nodeFd.Fd, empty, uid, gid, Native.AT_EMPTY_PATH | Native.AT_SYMLINK_NOFOLLOW);
            if (rc < 0) return rc;
        }
        if ((toSet & SetAttrFields.Size) != 0)
        {
            rc = file != null ? file.Content.SetLength(stat.Size) : Truncate(n, stat.Size);
            if (rc < 0) return rc;
        }
        if ((toSet & (SetAttrFields.ATime | SetAttrFields.MTime)) != 0)
        {
            TimeSpec* times = stackalloc TimeSpec[2];
            times[0] = Time(toSet, SetAttrFields.ATime, SetAttrFields.ATimeNow, stat.ATime);
            times[1] = Time(toSet, SetAttrFields.MTime, SetAttrFields.MTimeNow, stat.MTime);
            if (file != null) rc = Native.FUtimens(file.Fd, times);
            else if (n.IsSymlink)
            {
                // utimensat cannot reach a symlink through its O_PATH descriptor without following it.
                var at = n.Location ?? throw new StackException(Errno.ESTALE, $"{n.UpperName}: no parent");
                using var parentFd = Use(at.Parent);
                fixed (byte* name = NativeString.Z(at.LowerName))
                    rc = Native.UtimensAt(parentFd.Fd, name, times, Native.AT_SYMLINK_NOFOLLOW);
            }
            else rc = nodeFd.Fd < 0 ? nodeFd.Fd : Native.UtimensAt(Native.AT_FDCWD, ProcPath(nodeFd.Fd, proc), times, 0);
            if (rc < 0) return rc;
        }
        return 0;
    }

    private static TimeSpec Time(int toSet, int field, int now, TimeSpec value) =>
        (toSet & now) != 0 ? new TimeSpec { Nanoseconds = TimeSpec.UtimeNow }
        : (toSet & field) != 0 ? value
        : new TimeSpec { Nanoseconds = TimeSpec.UtimeOmit };

    private int Truncate(InodeNode n, long length)
    {
        if (length < 0) return -Errno.EINVAL;
        int fd = Reopen(n, Native.O_WRONLY);
        if (fd < 0) return fd;
        try
        {
            using var content = _content.Open(new LowerFile(fd, n.UpperName, Encoding.UTF8.GetString(n.LowerName)));
            return content.SetLength(length);
        }
        catch (StackException e) { return -e.Errno; }
        finally { Native.Close(fd); }
    }

    /// <summary>
    /// Opens the node's inode for I/O: by its last name when that still leads to it (an openat and
    /// an fstat cost about half of resolving a /proc magic link), else through its O_PATH
    /// descriptor, which reaches it whatever name it has now, even none.
    /// </summary>
    private int Reopen(InodeNode n, int upperFlags)
    {
        if (!Native.IsRegular(n.Type)) return n.IsDirectory ? -Errno.EISDIR : -Errno.EINVAL;
        // O_NONBLOCK|O_NOCTTY: if the name now leads to a FIFO or a terminal (a hostile backing directory),
        // the open must not wait for a writer or adopt it; the inode check below then refuses it.
        int flags = (_content.LowerOpenFlags(upperFlags) & ~(Native.O_NOFOLLOW | Native.O_CREAT | Native.O_EXCL)) | Native.O_NONBLOCK | Native.O_NOCTTY;
        if (n.Location is { } at)
        {
            using var parentFd = _nodes.Acquire(at.Parent);
            if (parentFd.Fd >= 0)
            {
                int byName;
                fixed (byte* name = NativeString.Z(at.LowerName, stackalloc byte[NativeString.NameBuffer]))
                {
                    byName = Native.OpenAt(parentFd.Fd, name, flags | Native.O_NOFOLLOW);
                    if (byName == -Errno.EMFILE && _nodes.MakeRoom()) byName = Native.OpenAt(parentFd.Fd, name, flags | Native.O_NOFOLLOW);
                }
                if (byName >= 0)
                {
                    if (Native.FStat(byName, out var st) == 0 && (st.Dev, st.Ino) == n.Key) return byName;
                    Native.Close(byName);
                }
            }
        }
        using var nodeFd = _nodes.Acquire(n);
        if (nodeFd.Fd < 0) return nodeFd.Fd;
        byte* buffer = stackalloc byte[32];
        byte* proc = ProcPath(nodeFd.Fd, buffer);
        int fd = Native.OpenAt(Native.AT_FDCWD, proc, flags);
        if (fd == -Errno.EMFILE && _nodes.MakeRoom()) fd = Native.OpenAt(Native.AT_FDCWD, proc, flags);
        return fd;
    }

    public int StatFs(ulong node, ref StatVfs stat) => Native.FStatVfs(_rootFd, ref stat);

    // ---- namespace --------------------------------------------------------------------------

    public int MkNod(ulong parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            _names.Naming(dirFd.Fd, lower);
            fixed (byte* n = NativeString.Z(lower.Name))
            {
                int rc = Native.MkNodAt(dirFd.Fd, n, mode, rdev);
                if (rc < 0) { _names.NamingFailed(dirFd.Fd, lower); return rc; }
                ApplyCallerOwnership(dirFd.Fd, n);
            }
            _names.Created(DirectoryState(dir), dirFd.Fd, lower, isDirectory: false);
            return Enter(dir, dirFd.Fd, name, lower, out entry);
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int MkDir(ulong parent, ReadOnlySpan<byte> name, uint mode, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            _names.Naming(dirFd.Fd, lower);
            fixed (byte* n = NativeString.Z(lower.Name))
            {
                int rc = Native.MkDirAt(dirFd.Fd, n, mode);
                if (rc < 0) { _names.NamingFailed(dirFd.Fd, lower); return rc; }
                ApplyCallerOwnership(dirFd.Fd, n);
                try { _names.Created(DirectoryState(dir), dirFd.Fd, lower, isDirectory: true); }
                catch (StackException e)
                {
                    Native.UnlinkAt(dirFd.Fd, n, Native.AT_REMOVEDIR);
                    _names.NamingFailed(dirFd.Fd, lower);
                    return -e.Errno;
                }
            }
            return Enter(dir, dirFd.Fd, name, lower, out entry);
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int Unlink(ulong parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: false);

    public int RmDir(ulong parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: true);

    private int Remove(ulong parent, ReadOnlySpan<byte> name, bool directory)
    {
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            InodeNode? gone;
            int rc;
            fixed (byte* n = NativeString.Z(lower.Name))
            {
                gone = PinBeforeRemoval(dir, dirFd.Fd, n, lower.Name);
                // A directory may hold the transform's own files (a directory id): the transform removes it.
                rc = directory ? _names.RemoveDirectory(dirFd.Fd, lower) : Native.UnlinkAt(dirFd.Fd, n, 0);
            }
            if (rc < 0) return rc;
            if (gone != null) _nodes.Detach(gone);
            _names.Removed(dirFd.Fd, lower);
            return 0;
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int SymLink(ReadOnlySpan<byte> target, ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            _names.Naming(dirFd.Fd, lower);
            byte[] lowerTarget = _names.EncodeLinkTarget(dirFd.Fd, lower, target);
            fixed (byte* n = NativeString.Z(lower.Name))
            fixed (byte* t = NativeString.Z(lowerTarget))
            {
                int rc = Native.SymlinkAt(t, dirFd.Fd, n);
                if (rc < 0) { _names.NamingFailed(dirFd.Fd, lower); return rc; }
                ApplyCallerOwnership(dirFd.Fd, n);
            }
            _names.Created(DirectoryState(dir), dirFd.Fd, lower, isDirectory: false);
            return Enter(dir, dirFd.Fd, name, lower, out entry);
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int ReadLink(ulong node, Span<byte> buffer)
    {
        var n = _nodes.Get(node);
        if (n == null) return -Errno.ESTALE;
        try { return ReadLinkCore(n, buffer); }
        catch (StackException e) { return -e.Errno; }
    }

    private int ReadLinkCore(InodeNode n, Span<byte> buffer)
    {
        using var nodeFd = Use(n);
        fixed (byte* empty = "\0"u8)
        {
            if (_names.IsIdentity) return Native.ReadLinkAt(nodeFd.Fd, empty, buffer);
            byte[] stored = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                int slen = Native.ReadLinkAt(nodeFd.Fd, empty, stored.AsSpan(0, 4096));
                if (slen < 0) return slen;
                // A transform may keep a long target beside the link, under its backing name.
                var at = n.Location ?? throw new StackException(Errno.ESTALE, $"{n.UpperName}: no parent");
                using var parentFd = Use(at.Parent);
                return _names.DecodeLinkTarget(parentFd.Fd, at.LowerName, stored.AsSpan(0, slen), buffer);
            }
            finally { ArrayPool<byte>.Shared.Return(stored); }
        }
    }

    public int Rename(ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        try
        {
            var oldDir = Node(parent);
            var newDir = Node(newParent);
            var oldLower = Encode(oldDir, name);
            var newLower = Encode(newDir, newName);
            using var oldFd = Use(oldDir);
            using var newFd = Use(newDir);
            fixed (byte* o = NativeString.Z(oldLower.Name))
            fixed (byte* nn = NativeString.Z(newLower.Name))
            {
                var gone = (flags & Native.RENAME_EXCHANGE) == 0 ? PinBeforeRemoval(newDir, newFd.Fd, nn, newLower.Name) : null;
                _names.Naming(newFd.Fd, newLower);
                _names.PrepareRename(DirectoryState(oldDir), oldFd.Fd, oldLower, DirectoryState(newDir), newFd.Fd, newLower, flags);
                int rc = Native.RenameAt2(oldFd.Fd, o, newFd.Fd, nn, flags);
                if (rc == -Errno.ENOTEMPTY && !_names.IsIdentity)
                {
                    // The target directory may be empty to the user but hold the transform's own
                    // files (a directory id): let the transform remove it, then move into place.
                    rc = _names.RemoveDirectory(newFd.Fd, newLower);
                    if (rc == 0)
                    {
                        _names.Removed(newFd.Fd, newLower);
                        _names.Naming(newFd.Fd, newLower);
                        rc = Native.RenameAt2(oldFd.Fd, o, newFd.Fd, nn, flags);
                    }
                }
                if (rc < 0)
                {
                    _names.RenameFailed(oldFd.Fd, oldLower, newFd.Fd, newLower, flags);
                    _names.NamingFailed(newFd.Fd, newLower);
                    return rc;
                }
                if (gone != null) _nodes.Detach(gone);
                _names.Renamed(oldFd.Fd, oldLower, newFd.Fd, newLower, flags);
                Moved(newDir, newFd.Fd, newName, newLower, nn);
                if ((flags & Native.RENAME_EXCHANGE) != 0) Moved(oldDir, oldFd.Fd, name, oldLower, o);
            }
            return 0;
        }
        catch (StackException e) { return -e.Errno; }
    }

    /// <summary>Keeps a known node's last name (reopening, logs, symlink targets) in step with a rename.</summary>
    private void Moved(InodeNode dir, int dirFd, ReadOnlySpan<byte> upperName, in LowerName lower, byte* lowerZ)
    {
        if (Native.FStatAt(dirFd, lowerZ, out var st) < 0) return;
        if (_nodes.Find((st.Dev, st.Ino)) is not { } node) return;
        _nodes.Relocate(node, dir, lower.Name, upperName);
    }

    public int Link(ulong node, ulong newParent, ReadOnlySpan<byte> newName, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var n = Node(node);
            var dir = Node(newParent);
            var lower = Encode(dir, newName);
            using var nodeFd = Use(n);
            using var dirFd = Use(dir);
            byte* proc = stackalloc byte[32];
            _names.Naming(dirFd.Fd, lower);
            fixed (byte* nn = NativeString.Z(lower.Name))
            {
                // linkat through /proc/self/fd follows the magic link to the inode, without the
                // CAP_DAC_READ_SEARCH that AT_EMPTY_PATH would need.
                int rc = Native.LinkAt(Native.AT_FDCWD, ProcPath(nodeFd.Fd, proc), dirFd.Fd, nn, Native.AT_SYMLINK_FOLLOW);
                if (rc < 0) { _names.NamingFailed(dirFd.Fd, lower); return rc; }
            }
            _names.Created(DirectoryState(dir), dirFd.Fd, lower, isDirectory: false);
            if (n.IsSymlink && n.Location is { } source)
            {
                // A symlink's target may live beside its name (a sidecar): the new name needs it too.
                using var sourceDirFd = Use(source.Parent);
                _names.Linked(sourceDirFd.Fd, source.LowerName, dirFd.Fd, lower);
            }
            return Enter(dir, dirFd.Fd, newName, lower, out entry, probe: true);
        }
        catch (StackException e) { return -e.Errno; }
    }

    // ---- files --------------------------------------------------------------------------------

    private int AddOpenFile(int fd, InodeNode node, ref FuseFileInfo fi, bool truncate)
    {
        IFileContent content;
        try
        {
            content = _content.Open(new LowerFile(fd, node.UpperName, Encoding.UTF8.GetString(node.LowerName)));
        }
        catch (StackException e)
        {
            Native.Close(fd);
            return -e.Errno;
        }
        if (truncate)
        {
            // Atomic O_TRUNC: transforms strip O_TRUNC from the backing open (a header may have
            // to survive), so the content does it, in its own terms.
            int trc = content.SetLength(0);
            if (trc < 0)
            {
                content.Dispose();
                Native.Close(fd);
                return trc;
            }
        }
        fi.FileHandle = _files.Add(new OpenFile(fd, content, node));
        Interlocked.Increment(ref node.OpenHandles);
        Interlocked.Increment(ref _openFiles);
        Interlocked.Increment(ref _activity);
        return 0;
    }

    public int Open(ulong node, ref FuseFileInfo fi)
    {
        var n = _nodes.Get(node);
        if (n == null) return -Errno.ESTALE;
        int fd = Reopen(n, fi.Flags);
        if (fd < 0) return fd;
        return AddOpenFile(fd, n, ref fi, truncate: (fi.Flags & Native.O_TRUNC) != 0);
    }

    public int Create(ulong parent, ReadOnlySpan<byte> name, uint mode, ref FuseFileInfo fi, out FuseEntryParam entry)
    {
        entry = default;
        try
        {
            var dir = Node(parent);
            var lower = Encode(dir, name);
            using var dirFd = Use(dir);
            int fd;
            _names.Naming(dirFd.Fd, lower);
            fixed (byte* n = NativeString.Z(lower.Name))
            {
                int flags = _content.LowerOpenFlags(fi.Flags) | Native.O_CREAT | Native.O_NOFOLLOW | Native.O_NONBLOCK | Native.O_NOCTTY | (fi.Flags & Native.O_EXCL);
                fd = Native.OpenAt(dirFd.Fd, n, flags, mode);
                if (fd == -Errno.EMFILE && _nodes.MakeRoom()) fd = Native.OpenAt(dirFd.Fd, n, flags, mode);
                if (fd < 0) { _names.NamingFailed(dirFd.Fd, lower); return fd; }
                if (_asRoot && (FuseRequest.CallerUid != 0 || FuseRequest.CallerGid != 0))
                    Native.FChown(fd, FuseRequest.CallerUid, FuseRequest.CallerGid);
            }
            _names.Created(DirectoryState(dir), dirFd.Fd, lower, isDirectory: false);
            int rc = Enter(dir, dirFd.Fd, name, lower, out entry);
            if (rc < 0)
            {
                Native.Close(fd);
                return rc;
            }
            // Without O_EXCL, create may open a file that already exists: O_TRUNC applies to it.
            rc = AddOpenFile(fd, Node(entry.Ino), ref fi, truncate: (fi.Flags & Native.O_TRUNC) != 0);
            if (rc < 0) _nodes.Forget(entry.Ino, 1);
            return rc;
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int Read(ulong node, Span<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Read(buffer, offset);
    }

    public int Write(ulong node, ReadOnlySpan<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Write(buffer, offset);
    }

    public int FAllocate(ulong node, int mode, long offset, long length, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Allocate(mode, offset, length);
    }

    public long LSeek(ulong node, long offset, int whence, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Seek(offset, whence);
    }

    public int Flush(ulong node, ref FuseFileInfo fi) => 0;

    public int Release(ulong node, ref FuseFileInfo fi)
    {
        var file = _files.Remove(fi.FileHandle);
        if (file == null) return 0;
        Interlocked.Decrement(ref file.Node.OpenHandles);
        Interlocked.Decrement(ref _openFiles);
        try { file.Content.Dispose(); }
        finally { Native.Close(file.Fd); }
        return 0;
    }

    public int FSync(ulong node, bool dataOnly, ref FuseFileInfo fi)
    {
        var file = _files.Get(fi.FileHandle);
        return file == null ? -Errno.EBADF : file.Content.Sync(dataOnly);
    }

    // ---- directories --------------------------------------------------------------------------

    public int OpenDir(ulong node, ref FuseFileInfo fi)
    {
        try
        {
            var n = Node(node);
            var state = DirectoryState(n);
            using var nodeFd = Use(n);
            int fd;
            fixed (byte* dot = ".\0"u8)
            {
                fd = Native.OpenAt(nodeFd.Fd, dot, Native.O_RDONLY | Native.O_DIRECTORY);
                if (fd == -Errno.EMFILE && _nodes.MakeRoom()) fd = Native.OpenAt(nodeFd.Fd, dot, Native.O_RDONLY | Native.O_DIRECTORY);
            }
            if (fd < 0) return fd;
            nint stream = Native.FdOpenDir(fd);
            if (stream == 0)
            {
                Native.Close(fd);
                return -Errno.ENOMEM;
            }
            fi.FileHandle = _openDirs.Add(new OpenDirectory(fd, stream, state));
            Interlocked.Increment(ref _activity);
            return 0;
        }
        catch (StackException e) { return -e.Errno; }
    }

    public int ReadDir(ulong node, ref DirectoryBuffer entries, long offset, ref FuseFileInfo fi, bool plus)
    {
        var sink = new FuseDirectorySink { Buffer = entries };
        int rc = ReadDirCore(node, fi.FileHandle, offset, plus, ref sink);
        entries = sink.Buffer;
        return rc;
    }

    /// <summary>The FUSE reply buffer as a <see cref="IDirectorySink"/> (a ref struct cannot be held by reference, so it is moved in and out).</summary>
    private ref struct FuseDirectorySink : IDirectorySink
    {
        public DirectoryBuffer Buffer;

        public bool Add(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in Stat stat, long nextOffset) =>
            Buffer.Add(upperName, stat, nextOffset);

        public bool AddPlus(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in FuseEntryParam entry, long nextOffset) =>
            Buffer.AddPlus(upperName, entry, nextOffset);
    }

    /// <summary>
    /// readdir and readdirplus of an open directory from <paramref name="offset"/> on, into whatever
    /// <paramref name="sink"/> is: the FUSE reply buffer, or an in-process caller (<see cref="ListDirectory"/>).
    /// </summary>
    private int ReadDirCore<TSink>(ulong node, ulong handle, long offset, bool plus, ref TSink sink)
        where TSink : IDirectorySink, allows ref struct
    {
        var dir = _openDirs.Get(handle);
        if (dir == null) return -Errno.EBADF;
        var parent = plus ? _nodes.Get(node) : null;
        if (plus && parent == null) return -Errno.ESTALE;
        lock (dir)
        {
            if (offset != dir.Position)
            {
                if (offset == 0) Native.RewindDir(dir.Stream);
                else Native.SeekDir(dir.Stream, offset);
                dir.Position = offset;
            }
            Native.Dirent* entry;
            while ((entry = Native.ReadDir(dir.Stream)) != null)
            {
                var lowerName = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry->Name);
                long next = entry->Off;
                bool dot = IsDotOrDotDot(lowerName);
                ReadOnlySpan<byte> upper = lowerName;
                if (!_names.IsIdentity && !dot)
                {
                    byte[]? decoded = _names.Decode(dir.State, dir.Fd, lowerName);
                    if (decoded == null) { dir.Position = next; continue; }
                    upper = decoded;
                }
                bool added;
                if (!plus || dot)
                {
                    var st = new Stat { Ino = entry->Ino, Mode = (uint)entry->Type << 12 };
                    if (plus)
                    {
                        // "." and ".." carry no lookup: the kernel ignores their entry.
                        var e = new FuseEntryParam { Attr = st };
                        added = sink.AddPlus(upper, lowerName, e, next);
                    }
                    else added = sink.Add(upper, lowerName, st, next);
                }
                else
                {
                    FuseEntryParam e;
                    int rc;
                    // A listed entry whose inode number is a known node's is most likely that node.
                    bool known = _nodes.Find((parent!.Key.Dev, entry->Ino)) != null;
                    try { rc = Enter(parent, dir.Fd, upper, new LowerName(lowerName.ToArray()), out e, probe: known); }
                    catch (StackException) { rc = -Errno.EIO; e = default; }
                    if (rc < 0)
                    {
                        // Gone since readdir saw it (or unreadable): list it without a node.
                        e = new FuseEntryParam { Attr = new Stat { Ino = entry->Ino, Mode = (uint)entry->Type << 12 } };
                    }
                    added = sink.AddPlus(upper, lowerName, e, next);
                    if (!added && e.Ino != 0) _nodes.Forget(e.Ino, 1);
                }
                if (!added)
                {
                    // Comes first in the next call, which starts where this entry started.
                    Native.SeekDir(dir.Stream, dir.Position);
                    break;
                }
                dir.Position = next;
            }
        }
        return 0;
    }

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> n) =>
        (n.Length == 1 && n[0] == (byte)'.') || (n.Length == 2 && n[0] == (byte)'.' && n[1] == (byte)'.');

    public int ReleaseDir(ulong node, ref FuseFileInfo fi)
    {
        var dir = _openDirs.Remove(fi.FileHandle);
        if (dir != null) Native.CloseDir(dir.Stream);
        return 0;
    }

    public int FSyncDir(ulong node, bool dataOnly, ref FuseFileInfo fi)
    {
        var dir = _openDirs.Get(fi.FileHandle);
        if (dir == null) return -Errno.EBADF;
        return dataOnly ? Native.FDataSync(dir.Fd) : Native.FSync(dir.Fd);
    }

    // ---- extended attributes --------------------------------------------------------------

    // Through /proc/self/fd/N of the node's O_PATH descriptor: the magic link reaches the inode
    // itself (a symlink's too), whatever name it has now.
    private NodeFd XattrNode(ulong node) => _nodes.Get(node) is { } n ? _nodes.Acquire(n) : new NodeFd(Errno.ESTALE);

    public int SetXAttr(ulong node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.EOPNOTSUPP;
        using var fd = XattrNode(node);
        if (fd.Fd < 0) return fd.Fd;
        byte* p = stackalloc byte[32];
        ProcPath(fd.Fd, p);
        ReadOnlySpan<byte> stored = _names.IsIdentity ? value : _names.EncodeXattrValue(lowerName, value);
        fixed (byte* n = NativeString.Z(lowerName, stackalloc byte[NativeString.NameBuffer]))
            return Native.SetXAttr(p, n, stored, flags);
    }

    public int GetXAttr(ulong node, ReadOnlySpan<byte> name, Span<byte> value)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.ENODATA;
        using var fd = XattrNode(node);
        if (fd.Fd < 0) return fd.Fd;
        byte* p = stackalloc byte[32];
        ProcPath(fd.Fd, p);
        fixed (byte* n = NativeString.Z(lowerName, stackalloc byte[NativeString.NameBuffer]))
        {
            if (_names.IsIdentity) return Native.GetXAttr(p, n, value);
            byte[] stored = ArrayPool<byte>.Shared.Rent(64 * 1024 + 64);
            try
            {
                int len = Native.GetXAttr(p, n, stored);
                if (len == -Errno.ENODATA && _names.EncodeXattrNamePrevious(name) is { } previous)
                {
                    fixed (byte* o = NativeString.Z(previous, stackalloc byte[NativeString.NameBuffer]))
                        len = Native.GetXAttr(p, o, stored);
                    if (len >= 0) return _names.DecodeXattrValue(previous, stored.AsSpan(0, len), value);
                }
                if (len < 0) return len;
                return _names.DecodeXattrValue(lowerName, stored.AsSpan(0, len), value);
            }
            finally { ArrayPool<byte>.Shared.Return(stored); }
        }
    }

    public int ListXAttr(ulong node, Span<byte> list)
    {
        using var fd = XattrNode(node);
        if (fd.Fd < 0) return fd.Fd;
        byte* p = stackalloc byte[32];
        ProcPath(fd.Fd, p);
        if (_names.IsIdentity) return Native.ListXAttr(p, list);
        byte[] stored = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int len = Native.ListXAttr(p, stored);
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

    public int RemoveXAttr(ulong node, ReadOnlySpan<byte> name)
    {
        byte[]? lowerName = _names.EncodeXattrName(name);
        if (lowerName == null) return -Errno.ENODATA;
        using var fd = XattrNode(node);
        if (fd.Fd < 0) return fd.Fd;
        byte* p = stackalloc byte[32];
        ProcPath(fd.Fd, p);
        fixed (byte* n = NativeString.Z(lowerName, stackalloc byte[NativeString.NameBuffer]))
            return Native.RemoveXAttr(p, n);
    }
}
