using System.Runtime.InteropServices;

namespace CryptStack.Fuse;

/// <summary>struct fuse_entry_param (176 bytes): the node the kernel gets for a name. The binding fills the timeouts.</summary>
[StructLayout(LayoutKind.Sequential)]
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
/// A filesystem served over libfuse3's low-level (inode) API. Nodes are the ids the filesystem
/// hands out in <see cref="FuseEntryParam.Ino"/>; every reply that carries an entry (lookup,
/// mknod, mkdir, symlink, link, create, readdirplus entries) counts one lookup the kernel later
/// gives back through <see cref="Forget"/>. Node 1 is the root. Results are 0, a count, or -errno;
/// the binding sends the reply. Methods run concurrently on libfuse's worker threads.
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

/// <summary>The reply buffer of one readdir request (fuse_add_direntry / fuse_add_direntry_plus).</summary>
public unsafe ref struct DirectoryBuffer
{
    private readonly nint _req;
    private readonly byte* _buffer;
    private readonly int _size;
    private readonly double _attrTimeout, _entryTimeout;
    public int Used { get; private set; }

    internal DirectoryBuffer(nint req, byte* buffer, int size, double attrTimeout, double entryTimeout)
    {
        _req = req;
        _buffer = buffer;
        _size = size;
        _attrTimeout = attrTimeout;
        _entryTimeout = entryTimeout;
    }

    /// <summary>Adds an entry; false (and nothing added) when it does not fit.</summary>
    public bool Add(ReadOnlySpan<byte> name, in Stat stat, long nextOffset)
    {
        Span<byte> z = stackalloc byte[name.Length + 1];
        name.CopyTo(z);
        z[name.Length] = 0;
        fixed (byte* n = z)
        fixed (Stat* s = &stat)
        {
            nuint need = Interop.LibFuseLowLevel.AddDirEntry(_req, _buffer + Used, (nuint)(_size - Used), n, s, nextOffset);
            if (need > (nuint)(_size - Used)) return false;
            Used += (int)need;
            return true;
        }
    }

    /// <summary>Adds an entry with its node (readdirplus); false when it does not fit, and the caller must drop the lookup.</summary>
    public bool AddPlus(ReadOnlySpan<byte> name, in FuseEntryParam entry, long nextOffset)
    {
        Span<byte> z = stackalloc byte[name.Length + 1];
        name.CopyTo(z);
        z[name.Length] = 0;
        var timed = entry;
        timed.AttrTimeout = _attrTimeout;
        timed.EntryTimeout = _entryTimeout;
        fixed (byte* n = z)
        {
            FuseEntryParam* e = &timed;
            nuint need = Interop.LibFuseLowLevel.AddDirEntryPlus(_req, _buffer + Used, (nuint)(_size - Used), n, e, nextOffset);
            if (need > (nuint)(_size - Used)) return false;
            Used += (int)need;
            return true;
        }
    }
}
