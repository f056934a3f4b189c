using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>Who made the request being served on this thread (fuse_get_context).</summary>
public static unsafe class FuseRequest
{
    public static uint CallerUid => LibFuse.GetContext()->Uid;
    public static uint CallerGid => LibFuse.GetContext()->Gid;
    public static int CallerPid => LibFuse.GetContext()->Pid;
}
