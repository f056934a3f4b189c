using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// FUSE passthrough (Documentation/filesystems/fuse-passthrough.rst): the open file's backing
// descriptor is registered with FUSE_DEV_IOC_BACKING_OPEN and the OPEN/CREATE reply names it.
internal sealed unsafe partial class FuseSession
{
    private readonly object _passthroughGate = new();
    /// <summary>Per node: open handles served by passthrough, and by the daemon. The kernel refuses
    /// (EIO) to mix the two io modes on one inode, so a node keeps the mode of its first open.</summary>
    private readonly Dictionary<ulong, (int Passthrough, int Cached)> _ioModes = [];
    private readonly Dictionary<ulong, (ulong Node, int BackingId)> _backingByHandle = [];
    private volatile bool _passthroughRefused;

    private bool PassthroughWanted => Options.Passthrough && FileSystem is IFusePassthrough;

    /// <summary>Open handles whose I/O the kernel does on the backing file.</summary>
    public int PassthroughOpens { get { lock (_passthroughGate) return _backingByHandle.Count(b => b.Value.BackingId > 0); } }

    /// <summary>After a successful OPEN or CREATE of a regular file: passthrough if we may, else the daemon serves it.</summary>
    public void AttachBacking(ulong node, ref FuseFileInfo fi)
    {
        if (!Has(FuseInitFlags.Passthrough) || _passthroughRefused || FileSystem is not IFusePassthrough source) return;
        lock (_passthroughGate)
        {
            _ioModes.TryGetValue(node, out var mode);
            int id = -1;
            if (mode.Cached == 0)
            {
                int fd = source.BackingFd(node, fi.FileHandle);
                if (fd >= 0) id = BackingOpen(fd);
            }
            if (id > 0)
            {
                fi.BackingId = id;
                mode.Passthrough++;
            }
            else mode.Cached++;
            _ioModes[node] = mode;
            _backingByHandle[fi.FileHandle] = (node, id);
        }
    }

    /// <summary>At RELEASE: closes the backing id (the kernel keeps the backing file of files still open).</summary>
    public void DetachBacking(ulong fileHandle)
    {
        if (!Has(FuseInitFlags.Passthrough)) return;
        lock (_passthroughGate)
        {
            if (!_backingByHandle.Remove(fileHandle, out var b)) return;
            var mode = _ioModes[b.Node];
            if (b.BackingId > 0)
            {
                BackingClose(b.BackingId);
                mode.Passthrough--;
            }
            else mode.Cached--;
            if (mode.Passthrough == 0 && mode.Cached == 0) _ioModes.Remove(b.Node);
            else _ioModes[b.Node] = mode;
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
        return -1;
    }

    private void BackingClose(int id)
    {
        uint value = (uint)id;
        LibC.IoCtl(Fd, FuseKernel.DevIocBackingClose, &value);
    }
}
