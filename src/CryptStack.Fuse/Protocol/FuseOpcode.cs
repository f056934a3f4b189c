namespace CryptStack.Fuse.Protocol;

/// <summary>enum fuse_opcode (include/uapi/linux/fuse.h, protocol 7.45).</summary>
public enum FuseOpcode : uint
{
    Lookup = 1, Forget = 2, GetAttr = 3, SetAttr = 4, ReadLink = 5, SymLink = 6, MkNod = 8, MkDir = 9,
    Unlink = 10, RmDir = 11, Rename = 12, Link = 13, Open = 14, Read = 15, Write = 16, StatFs = 17,
    Release = 18, FSync = 20, SetXAttr = 21, GetXAttr = 22, ListXAttr = 23, RemoveXAttr = 24, Flush = 25,
    Init = 26, OpenDir = 27, ReadDir = 28, ReleaseDir = 29, FSyncDir = 30, GetLk = 31, SetLk = 32, SetLkW = 33,
    Access = 34, Create = 35, Interrupt = 36, BMap = 37, Destroy = 38, IoCtl = 39, Poll = 40, NotifyReply = 41,
    BatchForget = 42, FAllocate = 43, ReadDirPlus = 44, Rename2 = 45, LSeek = 46, CopyFileRange = 47,
    SetupMapping = 48, RemoveMapping = 49, SyncFs = 50, TmpFile = 51, Statx = 52, CopyFileRange64 = 53,
}

/// <summary>enum fuse_notify_code: the error field of an unsolicited message (unique 0).</summary>
public enum FuseNotifyCode
{
    Poll = 1, InvalInode = 2, InvalEntry = 3, Store = 4, Retrieve = 5, Delete = 6, Resend = 7, IncEpoch = 8, Prune = 9,
}

/// <summary>INIT flags (flags | (ulong)flags2 &lt;&lt; 32).</summary>
public static class FuseInitFlags
{
    public const ulong AsyncRead = 1UL << 0, PosixLocks = 1UL << 1, AtomicOTrunc = 1UL << 3, ExportSupport = 1UL << 4,
        BigWrites = 1UL << 5, DontMask = 1UL << 6, SpliceWrite = 1UL << 7, SpliceMove = 1UL << 8, SpliceRead = 1UL << 9,
        FlockLocks = 1UL << 10, HasIoctlDir = 1UL << 11, AutoInvalData = 1UL << 12, DoReaddirPlus = 1UL << 13,
        ReaddirPlusAuto = 1UL << 14, AsyncDio = 1UL << 15, WritebackCache = 1UL << 16, NoOpenSupport = 1UL << 17,
        ParallelDirops = 1UL << 18, HandleKillpriv = 1UL << 19, PosixAcl = 1UL << 20, AbortError = 1UL << 21,
        MaxPages = 1UL << 22, CacheSymlinks = 1UL << 23, NoOpendirSupport = 1UL << 24, ExplicitInvalData = 1UL << 25,
        MapAlignment = 1UL << 26, Submounts = 1UL << 27, HandleKillprivV2 = 1UL << 28, SetxattrExt = 1UL << 29,
        InitExt = 1UL << 30, InitReserved = 1UL << 31,
        SecurityCtx = 1UL << 32, HasInodeDax = 1UL << 33, CreateSuppGroup = 1UL << 34, HasExpireOnly = 1UL << 35,
        DirectIoAllowMmap = 1UL << 36, Passthrough = 1UL << 37, NoExportSupport = 1UL << 38, HasResend = 1UL << 39,
        AllowIdmap = 1UL << 40, OverIoUring = 1UL << 41, RequestTimeout = 1UL << 42;

    private static readonly string[] Names =
    [
        "ASYNC_READ", "POSIX_LOCKS", "FILE_OPS", "ATOMIC_O_TRUNC", "EXPORT_SUPPORT", "BIG_WRITES", "DONT_MASK",
        "SPLICE_WRITE", "SPLICE_MOVE", "SPLICE_READ", "FLOCK_LOCKS", "HAS_IOCTL_DIR", "AUTO_INVAL_DATA",
        "DO_READDIRPLUS", "READDIRPLUS_AUTO", "ASYNC_DIO", "WRITEBACK_CACHE", "NO_OPEN_SUPPORT", "PARALLEL_DIROPS",
        "HANDLE_KILLPRIV", "POSIX_ACL", "ABORT_ERROR", "MAX_PAGES", "CACHE_SYMLINKS", "NO_OPENDIR_SUPPORT",
        "EXPLICIT_INVAL_DATA", "MAP_ALIGNMENT", "SUBMOUNTS", "HANDLE_KILLPRIV_V2", "SETXATTR_EXT", "INIT_EXT",
        "INIT_RESERVED", "SECURITY_CTX", "HAS_INODE_DAX", "CREATE_SUPP_GROUP", "HAS_EXPIRE_ONLY",
        "DIRECT_IO_ALLOW_MMAP", "PASSTHROUGH", "NO_EXPORT_SUPPORT", "HAS_RESEND", "ALLOW_IDMAP", "OVER_IO_URING",
        "REQUEST_TIMEOUT",
    ];

    /// <summary>The flag names, for the log line that says what was offered and what was taken.</summary>
    public static string Describe(ulong flags)
    {
        var parts = new List<string>();
        for (int bit = 0; bit < 64; bit++)
            if ((flags & (1UL << bit)) != 0) parts.Add(bit < Names.Length ? Names[bit] : "bit" + bit);
        return string.Join(' ', parts);
    }
}

/// <summary>FOPEN_* flags of fuse_open_out.open_flags.</summary>
public static class FOpen
{
    public const uint DirectIo = 1 << 0, KeepCache = 1 << 1, NonSeekable = 1 << 2, CacheDir = 1 << 3, Stream = 1 << 4,
        NoFlush = 1 << 5, ParallelDirectWrites = 1 << 6, Passthrough = 1 << 7;
}

/// <summary>FATTR_* bits of fuse_setattr_in.valid.</summary>
public static class FAttr
{
    public const uint Mode = 1 << 0, Uid = 1 << 1, Gid = 1 << 2, Size = 1 << 3, ATime = 1 << 4, MTime = 1 << 5,
        Fh = 1 << 6, ATimeNow = 1 << 7, MTimeNow = 1 << 8, LockOwner = 1 << 9, CTime = 1 << 10, KillSuidGid = 1 << 11;
}

/// <summary>Smaller flag sets of single requests.</summary>
public static class FuseRequestFlags
{
    /// <summary>fuse_getattr_in.getattr_flags: fh is valid.</summary>
    public const uint GetAttrFh = 1 << 0;
    /// <summary>fuse_write_in.write_flags (with HANDLE_KILLPRIV_V2): the writer lacks CAP_FSETID.</summary>
    public const uint WriteKillSuidGid = 1 << 2;
    /// <summary>fuse_open_in/fuse_create_in.open_flags (with HANDLE_KILLPRIV_V2): O_TRUNC by a writer without CAP_FSETID.</summary>
    public const uint OpenKillSuidGid = 1 << 0;
    /// <summary>fuse_fsync_in.fsync_flags.</summary>
    public const uint FSyncDataSync = 1 << 0;
    /// <summary>fuse_notify_inval_entry_out.flags: only expire the entry (needs HAS_EXPIRE_ONLY).</summary>
    public const uint ExpireOnly = 1 << 0;
}
