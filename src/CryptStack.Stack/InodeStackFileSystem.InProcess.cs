using System.Text;
using CryptStack.Fuse;

namespace CryptStack.Stack;

/// <summary>Where <see cref="InodeStackFileSystem"/>'s readdir puts entries: the FUSE reply buffer, or an in-process caller.</summary>
internal interface IDirectorySink
{
    /// <summary>An entry without a node (readdir, and "." / ".."); false when it does not fit.</summary>
    bool Add(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in Stat stat, long nextOffset);

    /// <summary>An entry with its node (one lookup, given back by the caller); false when it does not fit.</summary>
    bool AddPlus(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in FuseEntryParam entry, long nextOffset);
}

/// <summary>
/// One entry of <see cref="InodeStackFileSystem.ListDirectory"/>: the name the user sees, the backing name, and
/// the node with its attributes. A node id of 0 means the entry vanished or could not be reached after it was
/// listed; any other id carries one lookup the caller gives back with <see cref="InodeStackFileSystem.Forget"/>.
/// </summary>
public readonly record struct ListedEntry(byte[] Name, byte[] LowerName, FuseEntryParam Entry);

/// <summary>
/// The stack used in process, without FUSE: offline tools (restore, listing, fsck) call the same operations
/// the kernel does (lookup, getattr, open, read, lseek, readlink, listxattr, getxattr, forget), and these
/// few that only an in-process caller needs: a whole directory at once, with backing names; a node's
/// backing path; and the transform's name mapping in both directions.
/// </summary>
public sealed unsafe partial class InodeStackFileSystem
{
    /// <summary>Every entry of directory <paramref name="node"/> that the transform shows, with its node (readdirplus). 0 or -errno.</summary>
    public int ListDirectory(ulong node, List<ListedEntry> into)
    {
        var fi = new FuseFileInfo();
        int rc = OpenDir(node, ref fi);
        if (rc < 0) return rc;
        try
        {
            var sink = new ListSink(into);
            return ReadDirCore(node, fi.FileHandle, 0, plus: true, ref sink);
        }
        finally { ReleaseDir(node, ref fi); }
    }

    private readonly struct ListSink(List<ListedEntry> into) : IDirectorySink
    {
        public bool Add(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in Stat stat, long nextOffset) => true;

        public bool AddPlus(ReadOnlySpan<byte> upperName, ReadOnlySpan<byte> lowerName, in FuseEntryParam entry, long nextOffset)
        {
            // "." and ".." come without a node; an in-process caller has no use for them.
            if (entry.Ino != 0 || !IsDotOrDotDot(lowerName)) into.Add(new ListedEntry(upperName.ToArray(), lowerName.ToArray(), entry));
            return true;
        }
    }

    /// <summary>The node's backing path relative to the backing root ("" for the root), as it was last reached; null if unknown.</summary>
    public string? LowerPathOf(ulong node)
    {
        var n = _nodes.Get(node);
        if (n == null) return null;
        var parts = new List<string>();
        for (var at = n.Location; at != null; at = at.Parent.Location)
        {
            if (parts.Count == 4096) return null;
            parts.Add(Encoding.UTF8.GetString(at.LowerName));
        }
        parts.Reverse();
        return string.Join('/', parts);
    }

    /// <summary>The backing name <paramref name="upperName"/> has (or would have) in directory <paramref name="parent"/>; the entry need not exist.</summary>
    public LowerName EncodeName(ulong parent, ReadOnlySpan<byte> upperName) => Encode(Node(parent), upperName);

    /// <summary>The name the user sees for backing entry <paramref name="lowerName"/> of directory <paramref name="parent"/>, or null (the transform's own file, or a name that does not decode).</summary>
    public byte[]? DecodeName(ulong parent, ReadOnlySpan<byte> lowerName)
    {
        var dir = Node(parent);
        if (_names.IsIdentity) return lowerName.ToArray();
        var state = DirectoryState(dir);
        using var fd = Use(dir);
        return _names.Decode(state, fd.Fd, lowerName);
    }
}
