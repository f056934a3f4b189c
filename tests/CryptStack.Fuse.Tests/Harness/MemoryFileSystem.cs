using System.Collections.Concurrent;
using System.Text;

namespace CryptStack.Fuse.Tests.Harness;

/// <summary>
/// A small in-memory filesystem (one flat directory tree of files and directories) that counts
/// what the kernel asks of it: enough to watch the protocol layer without the stack's own logic.
/// </summary>
public sealed class MemoryFileSystem : IFuseLowLevelFileSystem
{
    public sealed class Node(ulong id, uint mode)
    {
        public ulong Id { get; } = id;
        public uint Mode = mode;
        public uint Uid, Gid;
        public byte[] Data = [];
        public readonly ConcurrentDictionary<string, ulong> Children = new();
        public long Lookups;
    }

    private readonly ConcurrentDictionary<ulong, Node> _nodes = new();
    private long _next = 1;
    private readonly object _gate = new();

    public long LookupCalls, GetAttrCalls, SetAttrCalls, ForgetCalls;
    public int LargestWrite, LargestRead;

    public MemoryFileSystem() => _nodes[1] = new Node(1, 0x41ed);

    public Node Root => _nodes[1];

    public Node? Find(string name) => Root.Children.TryGetValue(name, out ulong id) ? _nodes[id] : null;

    public Node Add(ulong parent, string name, uint mode)
    {
        var n = new Node((ulong)Interlocked.Increment(ref _next), mode);
        _nodes[n.Id] = n;
        _nodes[parent].Children[name] = n.Id;
        return n;
    }

    private static Stat StatOf(Node n) => new()
    {
        Ino = n.Id, Mode = n.Mode, NLink = 1, Size = n.Data.Length, Uid = n.Uid, Gid = n.Gid, BlkSize = 4096,
        Blocks = (n.Data.Length + 511) / 512,
    };

    private int Entry(Node n, out FuseEntryParam e)
    {
        Interlocked.Increment(ref n.Lookups);
        e = new FuseEntryParam { Ino = n.Id, Generation = 1, Attr = StatOf(n) };
        return 0;
    }

    public int Lookup(ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry)
    {
        Interlocked.Increment(ref LookupCalls);
        entry = default;
        if (!_nodes.TryGetValue(parent, out var dir)) return -Errno.ESTALE;
        if (!dir.Children.TryGetValue(Encoding.UTF8.GetString(name), out ulong id)) return -Errno.ENOENT;
        return Entry(_nodes[id], out entry);
    }

    public void Forget(ulong node, ulong lookups)
    {
        Interlocked.Increment(ref ForgetCalls);
        if (_nodes.TryGetValue(node, out var n)) Interlocked.Add(ref n.Lookups, -(long)lookups);
    }

    public int GetAttr(ulong node, out Stat stat, FileInfoRef fi)
    {
        Interlocked.Increment(ref GetAttrCalls);
        stat = default;
        if (!_nodes.TryGetValue(node, out var n)) return -Errno.ESTALE;
        stat = StatOf(n);
        return 0;
    }

    public int SetAttr(ulong node, ref Stat stat, int toSet, FileInfoRef fi)
    {
        Interlocked.Increment(ref SetAttrCalls);
        var n = _nodes[node];
        lock (_gate)
        {
            if ((toSet & SetAttrFields.Mode) != 0) n.Mode = (n.Mode & 0xF000) | (stat.Mode & 0xFFF);
            if ((toSet & SetAttrFields.Uid) != 0) n.Uid = stat.Uid;
            if ((toSet & SetAttrFields.Gid) != 0) n.Gid = stat.Gid;
            if ((toSet & SetAttrFields.Size) != 0) Array.Resize(ref n.Data, (int)stat.Size);
        }
        stat = StatOf(n);
        return 0;
    }

    public int ReadLink(ulong node, Span<byte> buffer) => -Errno.EINVAL;
    public int MkNod(ulong parent, ReadOnlySpan<byte> name, uint mode, ulong rdev, out FuseEntryParam entry) =>
        Entry(Add(parent, Encoding.UTF8.GetString(name), mode), out entry);
    public int MkDir(ulong parent, ReadOnlySpan<byte> name, uint mode, out FuseEntryParam entry) =>
        Entry(Add(parent, Encoding.UTF8.GetString(name), 0x4000 | (mode & 0xFFF)), out entry);

    public int Unlink(ulong parent, ReadOnlySpan<byte> name) =>
        _nodes[parent].Children.TryRemove(Encoding.UTF8.GetString(name), out _) ? 0 : -Errno.ENOENT;
    public int RmDir(ulong parent, ReadOnlySpan<byte> name) => Unlink(parent, name);
    public int SymLink(ReadOnlySpan<byte> target, ulong parent, ReadOnlySpan<byte> name, out FuseEntryParam entry) { entry = default; return -Errno.EPERM; }
    public int Rename(ulong parent, ReadOnlySpan<byte> name, ulong newParent, ReadOnlySpan<byte> newName, uint flags) => -Errno.EPERM;
    public int Link(ulong node, ulong newParent, ReadOnlySpan<byte> newName, out FuseEntryParam entry) { entry = default; return -Errno.EPERM; }
    public int Open(ulong node, ref FuseFileInfo fi)
    {
        if ((fi.Flags & 0x200) != 0) lock (_gate) _nodes[node].Data = []; // O_TRUNC (ATOMIC_O_TRUNC)
        fi.FileHandle = node;
        return 0;
    }

    public int Create(ulong parent, ReadOnlySpan<byte> name, uint mode, ref FuseFileInfo fi, out FuseEntryParam entry)
    {
        var n = Add(parent, Encoding.UTF8.GetString(name), 0x8000 | (mode & 0xFFF));
        fi.FileHandle = n.Id;
        return Entry(n, out entry);
    }

    public int Read(ulong node, Span<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        InterlockedMax(ref LargestRead, buffer.Length);
        var data = _nodes[node].Data;
        if (offset >= data.Length) return 0;
        int n = (int)Math.Min(buffer.Length, data.Length - offset);
        data.AsSpan((int)offset, n).CopyTo(buffer);
        return n;
    }

    public int Write(ulong node, ReadOnlySpan<byte> buffer, long offset, ref FuseFileInfo fi)
    {
        InterlockedMax(ref LargestWrite, buffer.Length);
        var n = _nodes[node];
        lock (_gate)
        {
            if (offset + buffer.Length > n.Data.Length) Array.Resize(ref n.Data, (int)(offset + buffer.Length));
            buffer.CopyTo(n.Data.AsSpan((int)offset));
        }
        return buffer.Length;
    }

    private static void InterlockedMax(ref int field, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref field)) < value && Interlocked.CompareExchange(ref field, value, seen) != seen) { }
    }

    public int Flush(ulong node, ref FuseFileInfo fi) => 0;
    public int Release(ulong node, ref FuseFileInfo fi) => 0;
    public int FSync(ulong node, bool dataOnly, ref FuseFileInfo fi) => 0;
    public int OpenDir(ulong node, ref FuseFileInfo fi) => 0;

    public int ReadDir(ulong node, ref DirectoryBuffer entries, long offset, ref FuseFileInfo fi, bool plus)
    {
        var names = _nodes[node].Children.OrderBy(c => c.Key, StringComparer.Ordinal).ToArray();
        for (long i = offset; i < names.Length; i++)
        {
            var child = _nodes[names[i].Value];
            byte[] name = Encoding.UTF8.GetBytes(names[i].Key);
            if (plus)
            {
                Entry(child, out var e);
                if (!entries.AddPlus(name, e, i + 1)) { Forget(child.Id, 1); break; }
            }
            else if (!entries.Add(name, StatOf(child), i + 1)) break;
        }
        return 0;
    }

    public int ReleaseDir(ulong node, ref FuseFileInfo fi) => 0;
    public int FSyncDir(ulong node, bool dataOnly, ref FuseFileInfo fi) => 0;
    public int StatFs(ulong node, ref StatVfs stat)
    {
        stat = new StatVfs { BlockSize = 4096, FragmentSize = 4096, Blocks = 1000, BlocksFree = 500, BlocksAvailable = 500, NameMax = 255 };
        return 0;
    }

    public int SetXAttr(ulong node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags) => -Errno.EOPNOTSUPP;
    public int GetXAttr(ulong node, ReadOnlySpan<byte> name, Span<byte> value) => -Errno.ENODATA;
    public int ListXAttr(ulong node, Span<byte> list) => 0;
    public int RemoveXAttr(ulong node, ReadOnlySpan<byte> name) => -Errno.ENODATA;
    public int FAllocate(ulong node, int mode, long offset, long length, ref FuseFileInfo fi) => -Errno.EOPNOTSUPP;
    public long LSeek(ulong node, long offset, int whence, ref FuseFileInfo fi) => -Errno.ENOSYS;
}
