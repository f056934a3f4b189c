using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Interop;

/// <summary>
/// libfuse3's low-level (inode) API. fuse_session_new has a single version (FUSE_3.0) in 3.14;
/// the loop is bound by its versioned name, like the high-level one.
/// </summary>
internal static unsafe partial class LibFuseLowLevel
{
    private const string Lib = "libfuse3.so.3";

    [LibraryImport(Lib, EntryPoint = "fuse_session_new")]
    public static partial nint SessionNew(FuseArgs* args, FuseLowLevelOps* ops, nuint opSize, nint userData);

    [LibraryImport(Lib, EntryPoint = "fuse_session_mount")]
    public static partial int SessionMount(nint session, byte* mountPoint);

    [LibraryImport(Lib, EntryPoint = "fuse_session_loop_mt_312")]
    public static partial int SessionLoopMt(nint session, nint loopConfig);

    [LibraryImport(Lib, EntryPoint = "fuse_session_exit")]
    public static partial void SessionExit(nint session);

    [LibraryImport(Lib, EntryPoint = "fuse_session_unmount")]
    public static partial void SessionUnmount(nint session);

    [LibraryImport(Lib, EntryPoint = "fuse_session_destroy")]
    public static partial void SessionDestroy(nint session);

    [LibraryImport(Lib, EntryPoint = "fuse_req_ctx")]
    public static partial FuseCtx* RequestContext(nint req);

    [LibraryImport(Lib, EntryPoint = "fuse_req_userdata")]
    public static partial nint RequestUserData(nint req);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_err")]
    public static partial int ReplyErr(nint req, int err);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_none")]
    public static partial void ReplyNone(nint req);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_entry")]
    public static partial int ReplyEntry(nint req, FuseEntryParam* entry);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_create")]
    public static partial int ReplyCreate(nint req, FuseEntryParam* entry, FuseFileInfo* fi);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_attr")]
    public static partial int ReplyAttr(nint req, Stat* attr, double attrTimeout);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_readlink")]
    public static partial int ReplyReadLink(nint req, byte* link);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_open")]
    public static partial int ReplyOpen(nint req, FuseFileInfo* fi);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_write")]
    public static partial int ReplyWrite(nint req, nuint count);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_buf")]
    public static partial int ReplyBuf(nint req, byte* buf, nuint size);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_statfs")]
    public static partial int ReplyStatFs(nint req, StatVfs* st);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_xattr")]
    public static partial int ReplyXattr(nint req, nuint count);

    [LibraryImport(Lib, EntryPoint = "fuse_reply_lseek")]
    public static partial int ReplyLseek(nint req, long offset);

    [LibraryImport(Lib, EntryPoint = "fuse_add_direntry")]
    public static partial nuint AddDirEntry(nint req, byte* buf, nuint bufSize, byte* name, Stat* st, long nextOffset);

    [LibraryImport(Lib, EntryPoint = "fuse_add_direntry_plus")]
    public static partial nuint AddDirEntryPlus(nint req, byte* buf, nuint bufSize, byte* name, FuseEntryParam* entry, long nextOffset);
}

/// <summary>struct fuse_ctx (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseCtx
{
    public uint Uid;
    public uint Gid;
    public int Pid;
    public uint Umask;
}

/// <summary>struct fuse_forget_data (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseForgetData
{
    public ulong Ino;
    public ulong NLookup;
}

/// <summary>
/// struct fuse_lowlevel_ops (libfuse 3.14): 44 function pointers, 352 bytes. Slot numbers
/// checked with offsetof against /usr/include/fuse3/fuse_lowlevel.h.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 352)]
internal struct FuseLowLevelOps
{
    [FieldOffset(0 * 8)] public nint Init;
    [FieldOffset(1 * 8)] public nint Destroy;
    [FieldOffset(2 * 8)] public nint Lookup;
    [FieldOffset(3 * 8)] public nint Forget;
    [FieldOffset(4 * 8)] public nint GetAttr;
    [FieldOffset(5 * 8)] public nint SetAttr;
    [FieldOffset(6 * 8)] public nint ReadLink;
    [FieldOffset(7 * 8)] public nint MkNod;
    [FieldOffset(8 * 8)] public nint MkDir;
    [FieldOffset(9 * 8)] public nint Unlink;
    [FieldOffset(10 * 8)] public nint RmDir;
    [FieldOffset(11 * 8)] public nint SymLink;
    [FieldOffset(12 * 8)] public nint Rename;
    [FieldOffset(13 * 8)] public nint Link;
    [FieldOffset(14 * 8)] public nint Open;
    [FieldOffset(15 * 8)] public nint Read;
    [FieldOffset(16 * 8)] public nint Write;
    [FieldOffset(17 * 8)] public nint Flush;
    [FieldOffset(18 * 8)] public nint Release;
    [FieldOffset(19 * 8)] public nint FSync;
    [FieldOffset(20 * 8)] public nint OpenDir;
    [FieldOffset(21 * 8)] public nint ReadDir;
    [FieldOffset(22 * 8)] public nint ReleaseDir;
    [FieldOffset(23 * 8)] public nint FSyncDir;
    [FieldOffset(24 * 8)] public nint StatFs;
    [FieldOffset(25 * 8)] public nint SetXAttr;
    [FieldOffset(26 * 8)] public nint GetXAttr;
    [FieldOffset(27 * 8)] public nint ListXAttr;
    [FieldOffset(28 * 8)] public nint RemoveXAttr;
    [FieldOffset(29 * 8)] public nint Access;
    [FieldOffset(30 * 8)] public nint Create;
    [FieldOffset(38 * 8)] public nint ForgetMulti;
    [FieldOffset(40 * 8)] public nint Fallocate;
    [FieldOffset(41 * 8)] public nint ReadDirPlus;
    [FieldOffset(43 * 8)] public nint Lseek;
}
