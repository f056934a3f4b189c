using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Transport.IoUring;

// The parts of linux/io_uring.h the FUSE transport uses; each IoX is C's io_x, field for field, and
// KernelAbiTests checks them against the system header (fields named _x are padding).
#pragma warning disable CS0649

[StructLayout(LayoutKind.Sequential)]
public struct IoSqringOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;
    public ulong Resv2;
}

[StructLayout(LayoutKind.Sequential)]
public struct IoCqringOffsets
{
    public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;
    public ulong Resv2;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoUringParams
{
    public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
    public fixed uint Resv[3];
    public IoSqringOffsets SqOff;
    public IoCqringOffsets CqOff;
}

/// <summary>The first 64 bytes of an SQE; with IORING_SETUP_SQE128 the command area runs from <see cref="Addr3"/> for 80 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct IoUringSqe
{
    [FieldOffset(0)] public byte Opcode;
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort Ioprio;
    [FieldOffset(4)] public int Fd;
    [FieldOffset(8)] public uint CmdOp;
    [FieldOffset(12)] public uint _pad1;
    [FieldOffset(16)] public ulong Addr;
    [FieldOffset(24)] public uint Len;
    [FieldOffset(28)] public uint RwFlags;
    [FieldOffset(32)] public ulong UserData;
    [FieldOffset(40)] public ushort BufIndex;
    [FieldOffset(42)] public ushort Personality;
    [FieldOffset(44)] public int SpliceFdIn;
    [FieldOffset(48)] public ulong Addr3;
    [FieldOffset(56)] public ulong _pad2;
}

[StructLayout(LayoutKind.Sequential)]
public struct IoUringCqe
{
    public ulong UserData;
    public int Res;
    public uint Flags;
}

public static class IoUringConstants
{
    public const uint SetupSqe128 = 1u << 10, SetupCqSize = 1u << 3;
    public const uint FeatSingleMmap = 1u << 0;
    public const uint EnterGetEvents = 1u << 0;
    public const byte OpUringCmd = 46;
    public const long OffSqRing = 0, OffCqRing = 0x8000000, OffSqes = 0x10000000;
    public const int SqeSize128 = 128;
    /// <summary>Offset of the command area (sqe->cmd) in an SQE.</summary>
    public const int CmdOffset = 48;
}
