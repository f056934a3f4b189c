using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>
/// A backing inode the kernel knows: an O_PATH descriptor of it (which also keeps the backing
/// inode, and so its number, alive), its (st_dev, st_ino) key and the kernel's lookup count.
/// </summary>
internal sealed class InodeNode(int fd, (ulong Dev, ulong Ino) key, uint type)
{
    /// <summary>The node id the kernel knows; set once when the node enters the table.</summary>
    public ulong Id;
    public readonly int Fd = fd;
    public readonly (ulong Dev, ulong Ino) Key = key;
    /// <summary>S_IFMT bits.</summary>
    public readonly uint Type = type;
    /// <summary>Guarded by the table's lock.</summary>
    public ulong Lookups;
    /// <summary>The name transform's state of a directory (<see cref="INameTransform.LoadDirectory"/>), loaded on first use.</summary>
    public object? DirectoryState;
    public volatile bool DirectoryLoaded;
    /// <summary>Last name this node was reached under: for log lines, and for symlinks (whose target a transform may keep beside them).</summary>
    public volatile string UpperName = "";
    public volatile byte[] LowerName = [];
    /// <summary>Symlinks only: an O_PATH dup of the directory holding <see cref="LowerName"/>, owned by the node.</summary>
    public int ParentFd = -1;

    public bool IsDirectory => Type == Native.S_IFDIR;
    public bool IsSymlink => Type == Native.S_IFLNK;
}

/// <summary>
/// Node ids for the kernel: an index into a table, so a lookup of a request's node is one array
/// read without a lock. An id is reused only after the kernel forgot it (its lookup count fell to
/// 0), so the kernel never holds an id that names two inodes; generation numbers stay 0, which is
/// fine because the mount is not exported over NFS. The backing inode number as the node id would
/// need collision handling (several backing filesystems under one tree) for no gain. A second
/// name of a known (st_dev, st_ino) gets the same id: that is one kernel inode per file, so hard
/// links share attributes and pages.
/// </summary>
internal sealed class InodeTable : IDisposable
{
    private readonly HandleTable<InodeNode> _nodes = new();
    private readonly Dictionary<(ulong, ulong), InodeNode> _byKey = new();
    private readonly object _gate = new();

    public InodeNode Root { get; }

    public InodeTable(int rootFd)
    {
        Native.FStat(rootFd, out var st);
        lock (_gate)
        {
            // FUSE_ROOT_ID is 1, the table's first handle.
            Root = new InodeNode(rootFd, (st.Dev, st.Ino), Native.S_IFDIR) { Lookups = 1, UpperName = "/" };
            Root.Id = _nodes.Add(Root);
            if (Root.Id != 1) throw new InvalidOperationException("root must be node 1");
            _byKey[Root.Key] = Root;
        }
    }

    public InodeNode? Get(ulong id) => _nodes.Get(id);

    /// <summary>
    /// The node for a backing inode just opened as <paramref name="fd"/> (O_PATH) with attributes
    /// <paramref name="st"/>, counting one lookup. If the inode is known, <paramref name="fd"/> is closed.
    /// </summary>
    public InodeNode Intern(int fd, in Stat st)
    {
        var key = (st.Dev, st.Ino);
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var known))
            {
                known.Lookups++;
                Native.Close(fd);
                return known;
            }
            var node = new InodeNode(fd, key, st.Mode & Native.S_IFMT) { Lookups = 1 };
            node.Id = _nodes.Add(node);
            _byKey[key] = node;
            return node;
        }
    }

    /// <summary>The known node of a backing inode, if any.</summary>
    public InodeNode? Find((ulong, ulong) key)
    {
        lock (_gate) return _byKey.TryGetValue(key, out var node) ? node : null;
    }

    /// <summary>The kernel dropped <paramref name="count"/> lookups; at 0 the node and its descriptor go.</summary>
    public void Forget(ulong id, ulong count)
    {
        InodeNode? gone = null;
        lock (_gate)
        {
            var node = _nodes.Get(id);
            if (node == null || node == Root) return;
            node.Lookups = node.Lookups > count ? node.Lookups - count : 0;
            if (node.Lookups > 0) return;
            _nodes.Remove(id);
            if (_byKey.TryGetValue(node.Key, out var keyed) && keyed == node) _byKey.Remove(node.Key);
            gone = node;
        }
        Close(gone);
    }

    private static void Close(InodeNode node)
    {
        Native.Close(node.Fd);
        int parent = Interlocked.Exchange(ref node.ParentFd, -1);
        if (parent >= 0) Native.Close(parent);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var node in _byKey.Values)
                if (node != Root) Close(node);
            _byKey.Clear();
        }
    }
}
