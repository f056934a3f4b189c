using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Interop;

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseArgs
{
    public int Argc;
    public byte** Argv;
    public int Allocated;
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
