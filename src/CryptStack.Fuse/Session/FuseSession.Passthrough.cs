using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// FUSE passthrough (Documentation/filesystems/fuse-passthrough.rst): the open file's backing
// descriptor is registered with FUSE_DEV_IOC_BACKING_OPEN and the OPEN/CREATE reply names it.
internal sealed unsafe partial class FuseSession
{
    private readonly object _passthroughGate = new();

    /// <summary>Per node: its backing id while passthrough opens exist, and how many open handles are
    /// served each way. The kernel refuses (EIO) both to mix the two io modes on one inode and to give
    /// one inode two backing files, so a node keeps one backing id, registered at its first open and
    /// closed at its last release.</summary>
    private struct NodeIo
    {
        public int BackingId, Passthrough, Cached;
    }

    private readonly Dictionary<ulong, NodeIo> _nodeIo = [];
    private readonly Dictionary<ulong, ulong> _nodeByHandle = [];
    private volatile bool _passthroughRefused;

    private bool PassthroughWanted => Options.Passthrough && FileSystem is IFusePassthrough;

    /// <summary>Nodes whose I/O the kernel does on the backing file right now.</summary>
    public int PassthroughNodes { get { lock (_passthroughGate) return _nodeIo.Count(n => n.Value.BackingId > 0); } }

    /// <summary>After a successful OPEN or CREATE of a regular file: passthrough if we may, else the daemon serves it.</summary>
    public void AttachBacking(ulong node, ref FuseFileInfo fi)
    {
        if (!Has(FuseInitFlags.Passthrough) || FileSystem is not IFusePassthrough source) return;
        lock (_passthroughGate)
        {
            _nodeIo.TryGetValue(node, out var io);
            if (io.BackingId == 0 && io.Cached == 0 && !_passthroughRefused && MayPassThrough(node, ref fi))
            {
                int fd = source.BackingFd(node, fi.FileHandle);
                if (fd >= 0) io.BackingId = BackingOpen(fd);
            }
            if (io.BackingId > 0)
            {
                fi.BackingId = io.BackingId;
                io.Passthrough++;
            }
            else io.Cached++;
            _nodeIo[node] = io;
            _nodeByHandle[fi.FileHandle] = node;
        }
    }

    /// <summary>
    /// Not for setuid/setgid files: with HANDLE_KILLPRIV_V2 the kernel leaves clearing those bits on
    /// write to the daemon, which never sees a passed-through write. (A file made setuid while it is
    /// open keeps the mode of its first open until its last release.)
    /// </summary>
    private bool MayPassThrough(ulong node, ref FuseFileInfo fi)
    {
        fixed (FuseFileInfo* p = &fi)
            return FileSystem.GetAttr(node, out var st, new FileInfoRef(p)) == 0 && (st.Mode & 0xC00) == 0;
    }

    /// <summary>At RELEASE: the node's backing id is closed with its last passthrough handle (the kernel keeps its own reference while files are open).</summary>
    public void DetachBacking(ulong fileHandle)
    {
        if (!Has(FuseInitFlags.Passthrough)) return;
        lock (_passthroughGate)
        {
            if (!_nodeByHandle.Remove(fileHandle, out ulong node)) return;
            var io = _nodeIo[node];
            if (io.BackingId > 0)
            {
                if (--io.Passthrough == 0)
                {
                    BackingClose(io.BackingId);
                    io.BackingId = 0;
                }
            }
            else io.Cached--;
            if (io.Passthrough == 0 && io.Cached == 0) _nodeIo.Remove(node);
            else _nodeIo[node] = io;
        }
    }

    private int BackingOpen(int fd)
    {
        var map = new FuseBackingMap { Fd = fd };
        int id = LibC.IoCtl(Fd, FuseKernel.DevIocBackingOpen, &map);
        if (id > 0) return id;
        int errno = LibC.Errno;
        // EPERM: not CAP_SYS_ADMIN in the initial namespace. Fall back for good, silently (once in --debug).
        if (errno == LibC.EPERM)
        {
            _passthroughRefused = true;
            Debug?.Note("passthrough refused by the kernel (EPERM): the daemon serves file data");
        }
        return 0;
    }

    private void BackingClose(int id)
    {
        uint value = (uint)id;
        LibC.IoCtl(Fd, FuseKernel.DevIocBackingClose, &value);
    }
}
