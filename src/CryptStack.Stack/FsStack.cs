using CryptStack.Fuse;

namespace CryptStack.Stack;

/// <summary>
/// The kernel's fs/stack.c helpers: copy what the backing inode says up to the inode the upper
/// layer shows. Each names its source; the caller decides what to do with sizes.
/// </summary>
public static class FsStack
{
    /// <summary>fsstack_copy_attr_all: mode, owner, rdev, times, link count, inode number and block counts.</summary>
    public static void CopyAttrAll(in Stat lower, ref Stat upper)
    {
        upper.Dev = lower.Dev;
        upper.Ino = lower.Ino;
        upper.Mode = lower.Mode;
        upper.Uid = lower.Uid;
        upper.Gid = lower.Gid;
        upper.RDev = lower.RDev;
        upper.ATime = lower.ATime;
        upper.MTime = lower.MTime;
        upper.CTime = lower.CTime;
        upper.NLink = lower.NLink;
        upper.BlkSize = lower.BlkSize;
        upper.Blocks = lower.Blocks;
    }

    /// <summary>fsstack_copy_inode_size: the upper size of a regular file through the size map.</summary>
    public static void CopyInodeSize(in Stat lower, ref Stat upper, ISizeMap sizes)
    {
        upper.Size = Interop.Native.IsRegular(lower.Mode) ? sizes.UpperSize(lower.Size) : lower.Size;
    }
}
