using System.Runtime.InteropServices;

namespace CryptStack.Fuse;

/// <summary>struct timespec.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TimeSpec
{
    /// <summary>tv_nsec value meaning "set to the current time" (utimensat).</summary>
    public const long UtimeNow = (1L << 30) - 1;
    /// <summary>tv_nsec value meaning "leave unchanged" (utimensat).</summary>
    public const long UtimeOmit = (1L << 30) - 2;

    public long Seconds;
    public long Nanoseconds;
}

/// <summary>glibc x86-64 struct stat (144 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Stat
{
    public ulong Dev;
    public ulong Ino;
    public ulong NLink;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    private int _pad0;
    public ulong RDev;
    public long Size;
    public long BlkSize;
    public long Blocks;
    public TimeSpec ATime;
    public TimeSpec MTime;
    public TimeSpec CTime;
    private long _reserved0, _reserved1, _reserved2;
}

/// <summary>glibc x86-64 struct statvfs (112 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct StatVfs
{
    public ulong BlockSize;
    public ulong FragmentSize;
    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public ulong FilesAvailable;
    public ulong FsId;
    public ulong Flags;
    public ulong NameMax;
    private int _spare0, _spare1, _spare2, _spare3, _spare4, _spare5;
}
