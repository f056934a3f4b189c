using System.Runtime.InteropServices;

namespace CryptStack.Fuse.Protocol;

// The structures of the kernel's include/uapi/linux/fuse.h, protocol 7.45, field for field: each C
// struct fuse_x is FuseX here and each field_name is FieldName, so that KernelAbiTests can check
// every size and offset against the header compiled by a C compiler. Only what we send or read.
#pragma warning disable CS0649 // fields filled by the kernel through pointers

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    public ulong Ino, Size, Blocks, Atime, Mtime, Ctime;
    public uint Atimensec, Mtimensec, Ctimensec, Mode, Nlink, Uid, Gid, Rdev, Blksize, Flags;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseKstatfs
{
    public ulong Blocks, Bfree, Bavail, Files, Ffree;
    public uint Bsize, Namelen, Frsize, Padding;
    public fixed uint Spare[6];
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseEntryOut
{
    public ulong Nodeid, Generation, EntryValid, AttrValid;
    public uint EntryValidNsec, AttrValidNsec;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)] public struct FuseForgetIn { public ulong Nlookup; }
[StructLayout(LayoutKind.Sequential)] public struct FuseForgetOne { public ulong Nodeid, Nlookup; }
[StructLayout(LayoutKind.Sequential)] public struct FuseBatchForgetIn { public uint Count, Dummy; }
[StructLayout(LayoutKind.Sequential)] public struct FuseGetattrIn { public uint GetattrFlags, Dummy; public ulong Fh; }

[StructLayout(LayoutKind.Sequential)]
public struct FuseAttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec, Dummy;
    public FuseAttr Attr;
}

[StructLayout(LayoutKind.Sequential)] public struct FuseMknodIn { public uint Mode, Rdev, Umask, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseMkdirIn { public uint Mode, Umask; }
[StructLayout(LayoutKind.Sequential)] public struct FuseRenameIn { public ulong Newdir; }
[StructLayout(LayoutKind.Sequential)] public struct FuseRename2In { public ulong Newdir; public uint Flags, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseLinkIn { public ulong Oldnodeid; }

[StructLayout(LayoutKind.Sequential)]
public struct FuseSetattrIn
{
    public uint Valid, Padding;
    public ulong Fh, Size, LockOwner, Atime, Mtime, Ctime;
    public uint Atimensec, Mtimensec, Ctimensec, Mode, Unused4, Uid, Gid, Unused5;
}

[StructLayout(LayoutKind.Sequential)] public struct FuseOpenIn { public uint Flags, OpenFlags; }
[StructLayout(LayoutKind.Sequential)] public struct FuseCreateIn { public uint Flags, Mode, Umask, OpenFlags; }
[StructLayout(LayoutKind.Sequential)] public struct FuseOpenOut { public ulong Fh; public uint OpenFlags; public int BackingId; }
[StructLayout(LayoutKind.Sequential)] public struct FuseReleaseIn { public ulong Fh; public uint Flags, ReleaseFlags; public ulong LockOwner; }
[StructLayout(LayoutKind.Sequential)] public struct FuseFlushIn { public ulong Fh; public uint Unused, Padding; public ulong LockOwner; }

[StructLayout(LayoutKind.Sequential)]
public struct FuseReadIn
{
    public ulong Fh, Offset;
    public uint Size, ReadFlags;
    public ulong LockOwner;
    public uint Flags, Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseWriteIn
{
    public ulong Fh, Offset;
    public uint Size, WriteFlags;
    public ulong LockOwner;
    public uint Flags, Padding;
}

[StructLayout(LayoutKind.Sequential)] public struct FuseWriteOut { public uint Size, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseStatfsOut { public FuseKstatfs St; }
[StructLayout(LayoutKind.Sequential)] public struct FuseFsyncIn { public ulong Fh; public uint FsyncFlags, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseSetxattrIn { public uint Size, Flags, SetxattrFlags, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseGetxattrIn { public uint Size, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseGetxattrOut { public uint Size, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseAccessIn { public uint Mask, Padding; }

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitIn
{
    public uint Major, Minor, MaxReadahead, Flags, Flags2;
    public fixed uint Unused[11];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseInitOut
{
    public uint Major, Minor, MaxReadahead, Flags;
    public ushort MaxBackground, CongestionThreshold;
    public uint MaxWrite, TimeGran;
    public ushort MaxPages, MapAlignment;
    public uint Flags2, MaxStackDepth;
    public ushort RequestTimeout;
    public fixed ushort Unused[11];
}

[StructLayout(LayoutKind.Sequential)] public struct FuseInterruptIn { public ulong Unique; }

[StructLayout(LayoutKind.Sequential)]
public struct FuseFallocateIn
{
    public ulong Fh, Offset, Length;
    public uint Mode, Padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct FuseInHeader
{
    public uint Len, Opcode;
    public ulong Unique, Nodeid;
    public uint Uid, Gid, Pid;
    public ushort TotalExtlen, Padding;
}

[StructLayout(LayoutKind.Sequential)] public struct FuseOutHeader { public uint Len; public int Error; public ulong Unique; }

/// <summary>struct fuse_dirent without its trailing name (sizeof = FUSE_NAME_OFFSET).</summary>
[StructLayout(LayoutKind.Sequential)] public struct FuseDirent { public ulong Ino, Off; public uint Namelen, Type; }
[StructLayout(LayoutKind.Sequential)] public struct FuseDirentplus { public FuseEntryOut EntryOut; public FuseDirent Dirent; }

[StructLayout(LayoutKind.Sequential)] public struct FuseNotifyInvalInodeOut { public ulong Ino; public long Off, Len; }
[StructLayout(LayoutKind.Sequential)] public struct FuseNotifyInvalEntryOut { public ulong Parent; public uint Namelen, Flags; }
[StructLayout(LayoutKind.Sequential)] public struct FuseNotifyDeleteOut { public ulong Parent, Child; public uint Namelen, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseNotifyPruneOut { public uint Count, Padding; public ulong Spare; }
[StructLayout(LayoutKind.Sequential)] public struct FuseBackingMap { public int Fd; public uint Flags; public ulong Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseLseekIn { public ulong Fh, Offset; public uint Whence, Padding; }
[StructLayout(LayoutKind.Sequential)] public struct FuseLseekOut { public ulong Offset; }

[StructLayout(LayoutKind.Sequential)]
public struct FuseUringEntInOut
{
    public ulong Flags, CommitId;
    public uint PayloadSz, Padding;
    public ulong Reserved;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringReqHeader
{
    public fixed byte InOut[128];
    public fixed byte OpIn[128];
    public FuseUringEntInOut RingEntInOut;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct FuseUringCmdReq
{
    public ulong Flags, CommitId;
    public ushort Qid;
    public fixed byte Padding[6];
}

/// <summary>Device ioctls and other numbers of the header.</summary>
public static class FuseKernel
{
    public const uint Version = 7, MinorVersion = 45;
    public const ulong RootId = 1;
    public const uint DevIocClone = 0x8004e500;          // _IOR(229, 0, uint32_t)
    public const uint DevIocBackingOpen = 0x4010e501;    // _IOW(229, 1, struct fuse_backing_map)
    public const uint DevIocBackingClose = 0x4004e502;   // _IOW(229, 2, uint32_t)
    public const int MinReadBuffer = 8192;
    public const uint IoUringCmdRegister = 1, IoUringCmdCommitAndFetch = 2;
}
