using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Interop;

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseArgs
{
    public int Argc;
    public byte** Argv;
    public int Allocated;
}

/// <summary>struct fuse_context (libfuse 3.14, 40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseContext
{
    public nint Fuse;
    public uint Uid;
    public uint Gid;
    public int Pid;
    public nint PrivateData;
    public uint Umask;
}

/// <summary>struct fuse_config (128 bytes); only the fields we set are named.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct FuseConfig
{
    [FieldOffset(24)] public double EntryTimeout;
    [FieldOffset(32)] public double NegativeTimeout;
    [FieldOffset(40)] public double AttrTimeout;
    [FieldOffset(60)] public int HardRemove;
    [FieldOffset(64)] public int UseIno;
    [FieldOffset(68)] public int ReaddirIno;
    [FieldOffset(72)] public int DirectIo;
    [FieldOffset(76)] public int KernelCache;
    [FieldOffset(80)] public int AutoCache;
    [FieldOffset(104)] public int NullPathOk;
}

/// <summary>struct fuse_conn_info (128 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct FuseConnInfo
{
    [FieldOffset(8)] public uint MaxWrite;
    [FieldOffset(12)] public uint MaxRead;
    [FieldOffset(16)] public uint MaxReadahead;
    [FieldOffset(20)] public uint Capable;
    [FieldOffset(24)] public uint Want;
    [FieldOffset(28)] public uint MaxBackground;
    [FieldOffset(32)] public uint CongestionThreshold;
}

internal static class FuseCapabilities
{
    public const uint AsyncRead = 0x1;
    public const uint DontMask = 0x40;
    public const uint ReaddirPlus = 0x2000;
    public const uint ReaddirPlusAuto = 0x4000;
    public const uint PosixLocks = 0x2;
    public const uint AtomicOTrunc = 0x8;
    public const uint SpliceWrite = 0x80;
    public const uint SpliceMove = 0x100;
    public const uint SpliceRead = 0x200;
    public const uint FlockLocks = 0x400;
    public const uint AutoInvalData = 0x1000;
    public const uint WritebackCache = 0x10000;
    public const uint ParallelDirops = 0x40000;
    public const uint CacheSymlinks = 0x800000;
}

/// <summary>struct fuse_operations (libfuse 3.14): 42 function pointers, 336 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseOperations
{
    public nint GetAttr, ReadLink, MkNod, MkDir, Unlink, RmDir, SymLink, Rename, Link, Chmod, Chown,
        Truncate, Open, Read, Write, StatFs, Flush, Release, FSync, SetXAttr, GetXAttr, ListXAttr,
        RemoveXAttr, OpenDir, ReadDir, ReleaseDir, FSyncDir, Init, Destroy, Access, Create, Lock,
        Utimens, Bmap, Ioctl, Poll, WriteBuf, ReadBuf, Flock, Fallocate, CopyFileRange, Lseek;
}
