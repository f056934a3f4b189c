using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse;

/// <summary>The node the kernel gets for a name (fuse_entry_out before conversion). The session fills the timeouts.</summary>
public struct FuseEntryParam
{
    /// <summary>Node id the kernel uses in later requests; 0 means "no such entry" (a cacheable negative lookup).</summary>
    public ulong Ino;
    public ulong Generation;
    public Stat Attr;
    public double AttrTimeout;
    public double EntryTimeout;
}

/// <summary>fuse_setattr's to_set bits.</summary>
public static class SetAttrFields
{
    public const int Mode = 1, Uid = 2, Gid = 4, Size = 8, ATime = 16, MTime = 32, ATimeNow = 128, MTimeNow = 256;
}

/// <summary>
/// A filesystem served over the FUSE kernel protocol (inode based, src/CryptStack.Fuse/Session). Nodes are the ids the filesystem
/// hands out in <see cref="FuseEntryParam.Ino"/>; every reply that carries an entry (lookup,
/// mknod, mkdir, symlink, link, create, readdirplus entries) counts one lookup the kernel later
/// gives back through <see cref="Forget"/>. Node 1 is the root. Results are 0, a count, or -errno;
/// the session sends the reply. Methods run concurrently on the session's worker threads.
/// </summary>
public interface IFuseLowLevelFileSystem
{
    int Lookup(ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry);
    void Forget(ulong node, ulong lookups);
    int GetAttr(ulong node, out Stat stat, FileInfoRef fi);
    /// <summary>Changes the fields named by <paramref name="toSet"/> (<see cref="SetAttrFields"/>), then returns the new attributes in <paramref name="stat"/>.</summary>
    int SetAttr(ulong node, ref Stat stat, int toSet, FileInfoRef fi);
    /// <summary>Writes the target (no NUL) into <paramref name="buffer"/>; its length, or -errno.</summary>
    int ReadLink(ulong node, Span<byte> buffer);
    int MkNod(ulong parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, out FuseEntryParam entry);
    int MkDir(ulong parent, ReadOnlySpan<byte> name, uint mode, out FuseEntryParam entry);
    int Unlink(ulong parent, ReadOnlySpan<byte> name);
    int RmDir(ulong parent, ReadOnlySpan<byte> name);
    int SymLink(ReadOnlySpan<byte> target, ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry);
    int Rename(ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags);
    int Link(ulong node, ulong newParent, ReadOnlySpan<byte> newName, out FuseEntryParam entry);
    int Open(ulong node, ref FuseFileInfo fi);
    int Create(ulong parent, ReadOnlySpan<byte> name, uint mode, ref FuseFileInfo fi, out FuseEntryParam entry);
    int Read(ulong node, Span<byte> buffer, long offset, ref FuseFileInfo fi);
    int Write(ulong node, ReadOnlySpan<byte> buffer, long offset, ref FuseFileInfo fi);
    int Flush(ulong node, ref FuseFileInfo fi);
    int Release(ulong node, ref FuseFileInfo fi);
    int FSync(ulong node, bool dataOnly, ref FuseFileInfo fi);
    int OpenDir(ulong node, ref FuseFileInfo fi);
    /// <summary>Fills <paramref name="entries"/> from <paramref name="offset"/> on; with <paramref name="plus"/>, entries carry lookups.</summary>
    int ReadDir(ulong node, ref DirectoryBuffer entries, long offset, ref FuseFileInfo fi, bool plus);
    int ReleaseDir(ulong node, ref FuseFileInfo fi);
    int FSyncDir(ulong node, bool dataOnly, ref FuseFileInfo fi);
    int StatFs(ulong node, ref StatVfs stat);
    int SetXAttr(ulong node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags);
    /// <summary>Returns the value's size; with an empty buffer, only the size.</summary>
    int GetXAttr(ulong node, ReadOnlySpan<byte> name, Span<byte> value);
    int ListXAttr(ulong node, Span<byte> list);
    int RemoveXAttr(ulong node, ReadOnlySpan<byte> name);
    int FAllocate(ulong node, int mode, long offset, long length, ref FuseFileInfo fi);
    long LSeek(ulong node, long offset, int whence, ref FuseFileInfo fi);
}

/// <summary>The reply buffer of one readdir request: struct fuse_dirent or fuse_direntplus records, 8-byte aligned.</summary>
public unsafe ref struct DirectoryBuffer
{
    private readonly byte* _buffer;
    private readonly int _size;
    private readonly double _attrTimeout, _entryTimeout;
    public int Used { get; private set; }

    internal DirectoryBuffer(byte* buffer, int size, double attrTimeout, double entryTimeout)
    {
        _buffer = buffer;
        _size = size;
        _attrTimeout = attrTimeout;
        _entryTimeout = entryTimeout;
    }

    private static int Align8(int n) => (n + 7) & ~7;

    /// <summary>Adds an entry; false (and nothing added) when it does not fit.</summary>
    public bool Add(ReadOnlySpan<byte> name, in Stat stat, long nextOffset)
    {
        int need = Align8(sizeof(FuseDirent) + name.Length);
        if (need > _size - Used) return false;
        byte* p = _buffer + Used;
        *(FuseDirent*)p = new FuseDirent { Ino = stat.Ino, Off = (ulong)nextOffset, Namelen = (uint)name.Length, Type = (stat.Mode & 0xF000) >> 12 };
        WriteName(p + sizeof(FuseDirent), name, need - sizeof(FuseDirent));
        Used += need;
        return true;
    }

    /// <summary>Adds an entry with its node (readdirplus); false when it does not fit, and the caller must drop the lookup.</summary>
    public bool AddPlus(ReadOnlySpan<byte> name, in FuseEntryParam entry, long nextOffset)
    {
        int need = Align8(sizeof(FuseDirentplus) + name.Length);
        if (need > _size - Used) return false;
        byte* p = _buffer + Used;
        var plus = (FuseDirentplus*)p;
        AttrConversion.ToEntryOut(entry, _entryTimeout, _attrTimeout, out plus->EntryOut);
        plus->Dirent = new FuseDirent { Ino = entry.Attr.Ino, Off = (ulong)nextOffset, Namelen = (uint)name.Length, Type = (entry.Attr.Mode & 0xF000) >> 12 };
        WriteName(p + sizeof(FuseDirentplus), name, need - sizeof(FuseDirentplus));
        Used += need;
        return true;
    }

    private static void WriteName(byte* at, ReadOnlySpan<byte> name, int room)
    {
        var dest = new Span<byte>(at, room);
        name.CopyTo(dest);
        dest[name.Length..].Clear();
    }
}
