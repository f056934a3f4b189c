using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// Unsolicited messages to the kernel (unique 0, the notify code in the error field).
internal sealed unsafe partial class FuseSession
{
    /// <summary>Writes one notification; 0 or -errno (ENOENT: the kernel does not know the node or entry).</summary>
    public int Notify(FuseNotifyCode code, ReadOnlySpan<byte> body, ReadOnlySpan<byte> tail, bool nulAfterTail)
    {
        var header = new FuseOutHeader { Error = (int)code };
        byte nul = 0;
        fixed (byte* b = body)
        fixed (byte* t = tail)
        {
            var iov = stackalloc LibC.IoVec[4];
            iov[0] = new LibC.IoVec { Base = &header, Length = (nuint)sizeof(FuseOutHeader) };
            iov[1] = new LibC.IoVec { Base = b, Length = (nuint)body.Length };
            iov[2] = new LibC.IoVec { Base = t, Length = (nuint)tail.Length };
            iov[3] = new LibC.IoVec { Base = &nul, Length = nulAfterTail ? 1u : 0u };
            header.Len = (uint)(sizeof(FuseOutHeader) + body.Length + tail.Length + (nulAfterTail ? 1 : 0));
            nint n = LibC.WriteV(Fd, iov, 4);
            return n < 0 ? -LibC.Errno : 0;
        }
    }

    public int InvalidateInode(ulong node, long offset, long length)
    {
        var o = new FuseNotifyInvalInodeOut { Ino = node, Off = offset, Len = length };
        return Notify(FuseNotifyCode.InvalInode, new ReadOnlySpan<byte>(&o, sizeof(FuseNotifyInvalInodeOut)), default, false);
    }

    public int InvalidateEntry(ulong parent, ReadOnlySpan<byte> name)
    {
        var o = new FuseNotifyInvalEntryOut { Parent = parent, Namelen = (uint)name.Length };
        return Notify(FuseNotifyCode.InvalEntry, new ReadOnlySpan<byte>(&o, sizeof(FuseNotifyInvalEntryOut)), name, true);
    }

    public int NotifyDelete(ulong parent, ulong child, ReadOnlySpan<byte> name)
    {
        var o = new FuseNotifyDeleteOut { Parent = parent, Child = child, Namelen = (uint)name.Length };
        return Notify(FuseNotifyCode.Delete, new ReadOnlySpan<byte>(&o, sizeof(FuseNotifyDeleteOut)), name, true);
    }

    /// <summary>FUSE_NOTIFY_PRUNE (7.45): asks the kernel to drop these nodes if nothing uses them (then FORGET follows).</summary>
    public int Prune(ReadOnlySpan<ulong> nodes)
    {
        var o = new FuseNotifyPruneOut { Count = (uint)nodes.Length };
        fixed (ulong* ids = nodes)
            return Notify(FuseNotifyCode.Prune, new ReadOnlySpan<byte>(&o, sizeof(FuseNotifyPruneOut)),
                new ReadOnlySpan<byte>(ids, nodes.Length * sizeof(ulong)), false);
    }
}
