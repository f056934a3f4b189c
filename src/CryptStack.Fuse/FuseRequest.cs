using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>Who made the request being served on this thread (fuse_get_context), and what it may ask of the kernel.</summary>
public static unsafe class FuseRequest
{
    /// <summary>The low-level request (fuse_req_t) this thread is serving, or 0.</summary>
    [ThreadStatic] internal static nint Current;

    private static FuseCtx* LowLevel => Current == 0 ? null : LibFuseLowLevel.RequestContext(Current);

    // fuse_get_context is NULL on a thread that is not serving a request (tests, benchmarks, offline
    // tools driving a filesystem directly): such calls act for root, as the daemon itself.
    public static uint CallerUid => LowLevel is var l && l != null ? l->Uid : LibFuse.GetContext() is var c && c != null ? c->Uid : 0;
    public static uint CallerGid => LowLevel is var l && l != null ? l->Gid : LibFuse.GetContext() is var c && c != null ? c->Gid : 0;
    public static int CallerPid => LowLevel is var l && l != null ? l->Pid : LibFuse.GetContext() is var c && c != null ? c->Pid : 0;

    /// <summary>
    /// Makes the kernel drop its cached attributes and pages of the inode it knows under
    /// <paramref name="path"/> (fuse_invalidate_path); 0, or -ENOENT if it holds none.
    /// Only for paths other than the one the current request is about: invalidating the pages
    /// of an inode whose request is in flight can deadlock on its page locks.
    /// </summary>
    public static int InvalidatePath(ReadOnlySpan<byte> path)
    {
        nint fuse = LibFuse.GetContext()->Fuse;
        if (fuse == 0) return -Errno.EINVAL;
        Span<byte> z = path.Length < 1024 ? stackalloc byte[path.Length + 1] : new byte[path.Length + 1];
        path.CopyTo(z);
        z[path.Length] = 0;
        fixed (byte* p = z) return LibFuse.InvalidatePath(fuse, p);
    }
}
