using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>Who made the request being served on this thread (fuse_req_ctx), and what it may ask of the kernel.</summary>
public static unsafe class FuseRequest
{
    /// <summary>The low-level request (fuse_req_t) this thread is serving, or 0.</summary>
    [ThreadStatic] internal static nint Current;

    private static FuseCtx* LowLevel => Current == 0 ? null : LibFuseLowLevel.RequestContext(Current);

    // No request on a thread that is not serving one (tests, benchmarks, offline
    // tools driving a filesystem directly): such calls act for root, as the daemon itself.
    public static uint CallerUid => LowLevel is var l && l != null ? l->Uid : 0;
    public static uint CallerGid => LowLevel is var l && l != null ? l->Gid : 0;
    public static int CallerPid => LowLevel is var l && l != null ? l->Pid : 0;
}
