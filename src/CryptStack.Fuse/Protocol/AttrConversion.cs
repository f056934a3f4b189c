namespace CryptStack.Fuse.Protocol;

/// <summary>Between the stat structures the filesystem speaks and the protocol's fuse_attr family.</summary>
public static class AttrConversion
{
    public static void ToFuseAttr(in Stat st, out FuseAttr a)
    {
        a = new FuseAttr
        {
            Ino = st.Ino,
            Size = (ulong)st.Size,
            Blocks = (ulong)st.Blocks,
            Atime = (ulong)st.ATime.Seconds,
            Mtime = (ulong)st.MTime.Seconds,
            Ctime = (ulong)st.CTime.Seconds,
            Atimensec = (uint)st.ATime.Nanoseconds,
            Mtimensec = (uint)st.MTime.Nanoseconds,
            Ctimensec = (uint)st.CTime.Nanoseconds,
            Mode = st.Mode,
            Nlink = (uint)st.NLink,
            Uid = st.Uid,
            Gid = st.Gid,
            Rdev = (uint)st.RDev,
            Blksize = (uint)st.BlkSize,
        };
    }

    /// <summary>A timeout in seconds as the protocol's (seconds, nanoseconds) pair.</summary>
    public static void Timeout(double seconds, out ulong whole, out uint nanoseconds)
    {
        if (seconds <= 0) { whole = 0; nanoseconds = 0; return; }
        whole = (ulong)Math.Floor(seconds);
        nanoseconds = (uint)Math.Min(999_999_999, Math.Round((seconds - whole) * 1e9));
    }

    public static void ToEntryOut(in FuseEntryParam e, double entryTimeout, double attrTimeout, out FuseEntryOut o)
    {
        o = default;
        o.Nodeid = e.Ino;
        o.Generation = e.Generation;
        Timeout(entryTimeout, out o.EntryValid, out o.EntryValidNsec);
        Timeout(attrTimeout, out o.AttrValid, out o.AttrValidNsec);
        ToFuseAttr(e.Attr, out o.Attr);
    }

    /// <summary>The fields of a SETATTR request in the stat the filesystem's SetAttr takes.</summary>
    public static Stat FromSetattr(in FuseSetattrIn s) => new()
    {
        Mode = s.Mode,
        Uid = s.Uid,
        Gid = s.Gid,
        Size = (long)s.Size,
        ATime = new TimeSpec { Seconds = (long)s.Atime, Nanoseconds = s.Atimensec },
        MTime = new TimeSpec { Seconds = (long)s.Mtime, Nanoseconds = s.Mtimensec },
        CTime = new TimeSpec { Seconds = (long)s.Ctime, Nanoseconds = s.Ctimensec },
    };

    public static void ToKstatfs(in StatVfs v, out FuseKstatfs k)
    {
        k = default;
        k.Blocks = v.Blocks;
        k.Bfree = v.BlocksFree;
        k.Bavail = v.BlocksAvailable;
        k.Files = v.Files;
        k.Ffree = v.FilesFree;
        k.Bsize = (uint)v.BlockSize;
        k.Namelen = (uint)v.NameMax;
        k.Frsize = (uint)v.FragmentSize;
    }
}
