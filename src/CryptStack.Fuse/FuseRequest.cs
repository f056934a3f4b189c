namespace CryptStack.Fuse;

/// <summary>Who made the request being served on this thread (the fuse_in_header's uid, gid and pid).</summary>
public static class FuseRequest
{
    [ThreadStatic] private static bool t_serving;
    [ThreadStatic] private static uint t_uid, t_gid;
    [ThreadStatic] private static int t_pid;

    internal static void Begin(uint uid, uint gid, uint pid)
    {
        t_uid = uid;
        t_gid = gid;
        t_pid = (int)pid;
        t_serving = true;
    }

    internal static void End() => t_serving = false;

    // No request on a thread that is not serving one (tests, benchmarks, offline
    // tools driving a filesystem directly): such calls act for root, as the daemon itself.
    public static uint CallerUid => t_serving ? t_uid : 0;
    public static uint CallerGid => t_serving ? t_gid : 0;
    public static int CallerPid => t_serving ? t_pid : 0;
}
