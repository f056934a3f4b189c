using System.Runtime.InteropServices;
using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Session;

namespace CryptStack.Fuse.Transport;

/// <summary>
/// A worker on its own /dev/fuse descriptor (the session's, or a FUSE_DEV_IOC_CLONE of it): the
/// kernel hands each pending request to one reader, and its reply must go back on the same
/// descriptor. One read per request, one writev per reply, both into buffers the worker owns.
/// </summary>
internal sealed unsafe class DevFuseWorker : RequestWorker
{
    private readonly int _fd;
    private readonly bool _ownsFd;
    private readonly byte* _in;
    private readonly int _inSize;
    private readonly byte* _out;

    /// <param name="fd">The descriptor to serve; closed with the worker when <paramref name="ownsFd"/>.</param>
    public DevFuseWorker(FuseSession session, int fd, bool ownsFd) : base(session)
    {
        _fd = fd;
        _ownsFd = ownsFd;
        // A request is at most max_write of data after its headers (the kernel wants room for
        // a whole page of them); the reply at most max_read after its header.
        _inSize = FuseSession.MaxPayload + 4096;
        _in = (byte*)NativeMemory.Alloc((nuint)_inSize);
        _out = (byte*)NativeMemory.Alloc((nuint)(FuseSession.MaxPayload + sizeof(FuseOutHeader)));
        Payload = _out + sizeof(FuseOutHeader);
        PayloadCapacity = FuseSession.MaxPayload;
    }

    /// <summary>A new descriptor on the same connection (FUSE_DEV_IOC_CLONE), or -errno.</summary>
    public static int Clone(int sessionFd)
    {
        int fd;
        fixed (byte* dev = "/dev/fuse\0"u8) fd = LibC.Open(dev, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) return -LibC.Errno;
        uint master = (uint)sessionFd;
        if (LibC.IoCtl(fd, FuseKernel.DevIocClone, &master) != 0)
        {
            int errno = LibC.Errno;
            LibC.Close(fd);
            return -errno;
        }
        return fd;
    }

    protected override void Run()
    {
        while (true)
        {
            nint n = LibC.Read(_fd, _in, (nuint)_inSize);
            if (n < 0)
            {
                int errno = LibC.Errno;
                // ENOENT: the request was interrupted before we read it; EINTR: a signal.
                if (errno is LibC.EINTR or LibC.ENOENT or LibC.EAGAIN) continue;
                // ENODEV: unmounted (or aborted); anything else ends the session as well.
                if (errno != LibC.ENODEV) Session.ReportFailure("read /dev/fuse", new IOException(Marshal.GetPInvokeErrorMessage(errno)));
                return;
            }
            if (n < sizeof(FuseInHeader)) continue;
            var h = (FuseInHeader*)_in;
            int len = (int)Math.Min((uint)n, h->Len);
            int opSize = Math.Min(OpHeaderSize((FuseOpcode)h->Opcode), len - sizeof(FuseInHeader));
            byte* op = _in + sizeof(FuseInHeader);
            Dispatch(h, op, op + opSize, len - sizeof(FuseInHeader) - opSize);
        }
    }

    protected override bool Send(ulong unique, int error, int length)
    {
        var h = (FuseOutHeader*)_out;
        h->Len = (uint)(sizeof(FuseOutHeader) + length);
        h->Error = error;
        h->Unique = unique;
        var iov = new LibC.IoVec { Base = _out, Length = h->Len };
        nint n;
        do n = LibC.WriteV(_fd, &iov, 1);
        while (n < 0 && LibC.Errno == LibC.EINTR);
        // ENOENT: the request was interrupted or the connection aborted meanwhile.
        return n >= 0;
    }

    public override void Dispose()
    {
        NativeMemory.Free(_in);
        NativeMemory.Free(_out);
        if (_ownsFd) LibC.Close(_fd);
    }
}
