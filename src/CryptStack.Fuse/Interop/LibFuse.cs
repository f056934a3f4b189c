using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Interop;

/// <summary>
/// libfuse3 entry points. The versioned names are bound on purpose: the unversioned
/// `fuse_new` / `fuse_loop_mt` resolve to older ABI versions (see shared/FUSE-FROM-DOTNET.md).
/// </summary>
internal static unsafe partial class LibFuse
{
    private const string Lib = "libfuse3.so.3";

    [LibraryImport(Lib, EntryPoint = "fuse_new_31")]
    public static partial nint New(FuseArgs* args, FuseOperations* ops, nuint opSize, nint privateData);

    [LibraryImport(Lib, EntryPoint = "fuse_mount")]
    public static partial int Mount(nint fuse, byte* mountPoint);

    [LibraryImport(Lib, EntryPoint = "fuse_unmount")]
    public static partial void Unmount(nint fuse);

    [LibraryImport(Lib, EntryPoint = "fuse_destroy")]
    public static partial void Destroy(nint fuse);

    [LibraryImport(Lib, EntryPoint = "fuse_exit")]
    public static partial void Exit(nint fuse);

    [LibraryImport(Lib, EntryPoint = "fuse_loop_mt_312")]
    public static partial int LoopMt(nint fuse, nint loopConfig);

    [LibraryImport(Lib, EntryPoint = "fuse_loop_cfg_create")]
    public static partial nint LoopConfigCreate();

    [LibraryImport(Lib, EntryPoint = "fuse_loop_cfg_destroy")]
    public static partial void LoopConfigDestroy(nint config);

    [LibraryImport(Lib, EntryPoint = "fuse_loop_cfg_set_max_threads")]
    public static partial void LoopConfigSetMaxThreads(nint config, uint value);

    [LibraryImport(Lib, EntryPoint = "fuse_loop_cfg_set_idle_threads")]
    public static partial void LoopConfigSetIdleThreads(nint config, uint value);

    [LibraryImport(Lib, EntryPoint = "fuse_loop_cfg_set_clone_fd")]
    public static partial void LoopConfigSetCloneFd(nint config, uint value);

    [LibraryImport(Lib, EntryPoint = "fuse_invalidate_path")]
    public static partial int InvalidatePath(nint fuse, byte* path);

    [LibraryImport(Lib, EntryPoint = "fuse_get_context")]
    public static partial FuseContext* GetContext();
}

internal static unsafe partial class LibC
{
    public const int MNT_DETACH = 2;

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true)]
    public static partial int Umount2(byte* target, int flags);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();
}
