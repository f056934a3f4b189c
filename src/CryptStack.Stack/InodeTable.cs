using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>
/// Where a node was last seen: a backing name in a parent directory node, and the name the user
/// sees (for log lines; a directory's transform maps one to the other, so they change together).
/// Replaced whole, never edited.
/// </summary>
internal sealed class NodeLocation(InodeNode parent, byte[] lowerName, string upperName)
{
    public readonly InodeNode Parent = parent;
    public readonly byte[] LowerName = lowerName;
    public readonly string UpperName = upperName;
}

/// <summary>
/// A backing inode the kernel knows: its (st_dev, st_ino) key, the kernel's lookup count, the
/// name it was last reached under and, most of the time, an O_PATH descriptor of it. The
/// descriptor is a cache (<see cref="InodeTable"/> closes the least recently used ones when the
/// process runs short), except while the node is <see cref="Pinned"/>: once its name is gone,
/// the descriptor is the only way back to the inode.
/// </summary>
internal sealed class InodeNode((ulong Dev, ulong Ino) key, uint type)
{
    /// <summary>The node id the kernel knows; set once when the node enters the table.</summary>
    public ulong Id;
    public readonly (ulong Dev, ulong Ino) Key = key;
    /// <summary>S_IFMT bits.</summary>
    public readonly uint Type = type;
    /// <summary>Guarded by the table's lock.</summary>
    public ulong Lookups;
    /// <summary>The name transform's state of a directory (<see cref="INameTransform.LoadDirectory"/>), loaded on first use.</summary>
    public object? DirectoryState;
    public volatile bool DirectoryLoaded;
    /// <summary>Last backing name and parent; null only for the root. What a closed descriptor is reopened from.</summary>
    public volatile NodeLocation? Location;

    // The descriptor protocol (InodeTable.Acquire/TryClose): a user counts itself in, then reads
    // Fd; a closer swaps Fd to -1, then reads Users and puts Fd back if anyone is in. Both sides
    // use full fences, so one of them always sees the other.
    internal int Fd = -1;
    internal int Users;
    /// <summary>Used since the last sweep of the clock (second-chance eviction).</summary>
    internal volatile bool Referenced;
    /// <summary>Its name was removed: the descriptor stays until the kernel forgets the node. Guarded by locking the node.</summary>
    internal bool Pinned;
    /// <summary>The kernel forgot it: the descriptor closes when the last user leaves.</summary>
    internal volatile bool Forgotten;
    /// <summary>Open files of this node (the stack's handles).</summary>
    public int OpenHandles;

    public byte[] LowerName => Location?.LowerName ?? [];

    /// <summary>
    /// The path the user last reached this node under, for log lines: built from the locations up
    /// to the root when asked (a renamed directory's children follow it without being touched).
    /// </summary>
    public string UpperName
    {
        get
        {
            if (Location == null) return "/";
            var parts = new List<string>();
            var at = Location;
            for (int depth = 0; at != null; depth++)
            {
                if (depth == 4096) { parts.Add("..."); break; }
                parts.Add(at.UpperName);
                at = at.Parent.Location;
            }
            parts.Reverse();
            return "/" + string.Join('/', parts);
        }
    }
    public bool IsDirectory => Type == Native.S_IFDIR;
    public bool IsSymlink => Type == Native.S_IFLNK;
}

/// <summary>
/// A node's O_PATH descriptor, held open for one operation. <see cref="Fd"/> is a negative errno
/// when the node could not be reached (its name changed behind the mount's back: ESTALE).
/// </summary>
internal readonly ref struct NodeFd
{
    private readonly InodeTable? _table;
    private readonly InodeNode? _node;
    public readonly int Fd;

    internal NodeFd(InodeTable table, InodeNode node, int fd)
    {
        _table = table;
        _node = node;
        Fd = fd;
    }

    internal NodeFd(int errno) => Fd = -errno;

    public void Dispose()
    {
        if (_node != null) _table!.Release(_node);
    }
}

/// <summary>
/// Node ids for the kernel: an index into a table, so a lookup of a request's node is one array
/// read without a lock. An id is reused only after the kernel forgot it (its lookup count fell to
/// 0), so the kernel never holds an id that names two inodes; generation numbers stay 0, which is
/// fine because the mount is not exported over NFS. The backing inode number as the node id would
/// need collision handling (several backing filesystems under one tree) for no gain. A second
/// name of a known (st_dev, st_ino) gets the same id: that is one kernel inode per file, so hard
/// links share attributes and pages.
/// <para>
/// The kernel forgets nodes only under memory pressure, so it may know far more of them than the
/// process may hold descriptors (RLIMIT_NOFILE). Node descriptors are therefore a bounded cache:
/// above <see cref="Budget"/>, a clock sweep closes those not used since its last pass, and a
/// node whose descriptor is closed is reopened from its location (parent descriptor + backing
/// name, checked against the node's (st_dev, st_ino)). Below the budget nothing is ever closed.
/// </para>
/// </summary>
internal sealed class InodeTable : IDisposable
{
    /// <summary>Nested reopening stops here: deeper than any real path, shallow enough for the stack.</summary>
    private const int MaxDepth = 2048;

    private readonly HandleTable<InodeNode> _nodes = new();
    private readonly Dictionary<(ulong, ulong), InodeNode> _byKey = new();
    private readonly object _gate = new();
    private readonly object _sweepGate = new();
    private int _open;
    private ulong _hand = 1;
    private readonly Action<string>? _notice;
    private bool _budgetNoticed, _shortageNoticed;

    public InodeNode Root { get; }
    /// <summary>How many node descriptors stay open before the sweep starts closing some.</summary>
    public int Budget { get; }

    /// <param name="notice">Told once when the budget first applies and once when the process first runs out of descriptors.</param>
    public InodeTable(int rootFd, int budget, Action<string>? notice = null)
    {
        Budget = Math.Max(16, budget);
        _notice = notice;
        Native.FStat(rootFd, out var st);
        lock (_gate)
        {
            // FUSE_ROOT_ID is 1, the table's first handle. The root's descriptor belongs to the caller.
            Root = new InodeNode((st.Dev, st.Ino), Native.S_IFDIR) { Lookups = 1, Fd = rootFd, Pinned = true };
            Root.Id = _nodes.Add(Root);
            if (Root.Id != 1) throw new InvalidOperationException("root must be node 1");
            _byKey[Root.Key] = Root;
        }
    }

    public InodeNode? Get(ulong id) => _nodes.Get(id);

    /// <summary>
    /// The node for a backing inode just opened as <paramref name="fd"/> (O_PATH) as
    /// <paramref name="lowerName"/> in <paramref name="parent"/>, with attributes <paramref name="st"/>,
    /// counting one lookup. The descriptor goes to the node, or is closed if the node has one.
    /// </summary>
    public InodeNode Intern(int fd, in Stat st, InodeNode parent, byte[] lowerName, ReadOnlySpan<byte> upperName)
    {
        var key = (st.Dev, st.Ino);
        InodeNode node;
        lock (_gate)
        {
            // A known key with another type: the inode number was reused behind the mount's back.
            if (!_byKey.TryGetValue(key, out node!) || node.Type != (st.Mode & Native.S_IFMT))
            {
                node = new InodeNode(key, st.Mode & Native.S_IFMT);
                node.Id = _nodes.Add(node);
                _byKey[key] = node;
            }
            node.Lookups++;
        }
        Relocate(node, parent, lowerName, upperName);
        if (node == Root) { Native.Close(fd); return node; }
        bool kept;
        lock (node)
        {
            kept = node.Fd < 0;
            if (kept)
            {
                Volatile.Write(ref node.Fd, fd);
                Interlocked.Increment(ref _open);
            }
        }
        if (!kept) Native.Close(fd);
        node.Referenced = true;
        if (kept) KeepWithinBudget();
        return node;
    }

    /// <summary>Records the name a node was seen under last (lookup, rename): where a closed descriptor is reopened from.</summary>
    public void Relocate(InodeNode node, InodeNode parent, byte[] lowerName, ReadOnlySpan<byte> upperName)
    {
        if (node == Root) return;
        if (node.Location is { } at && at.Parent == parent && at.LowerName.AsSpan().SequenceEqual(lowerName)) return;
        node.Location = new NodeLocation(parent, lowerName, System.Text.Encoding.UTF8.GetString(upperName));
    }

    /// <summary>
    /// Counts one lookup of the known node of a backing inode (of type <paramref name="type"/>),
    /// seen as <paramref name="lowerName"/> in <paramref name="parent"/>; null if it is not known.
    /// </summary>
    public InodeNode? CountLookup((ulong, ulong) key, uint type, InodeNode parent, byte[] lowerName, ReadOnlySpan<byte> upperName)
    {
        InodeNode? node;
        lock (_gate)
        {
            if (!_byKey.TryGetValue(key, out node)) return null;
            if (node.Type != (type & Native.S_IFMT))
            {
                // The inode number now belongs to another file (changed outside the mount).
                _byKey.Remove(key);
                return null;
            }
            node.Lookups++;
        }
        Relocate(node, parent, lowerName, upperName);
        return node;
    }

    /// <summary>The known node of a backing inode, if any.</summary>
    public InodeNode? Find((ulong, ulong) key)
    {
        lock (_gate) return _byKey.TryGetValue(key, out var node) ? node : null;
    }

    /// <summary>The node's descriptor for one operation, reopened from its location if the budget closed it.</summary>
    public NodeFd Acquire(InodeNode node) => Acquire(node, 0);

    private NodeFd Acquire(InodeNode node, int depth)
    {
        Interlocked.Increment(ref node.Users);
        int fd = Volatile.Read(ref node.Fd);
        if (fd >= 0)
        {
            node.Referenced = true;
            return new NodeFd(this, node, fd);
        }
        int rc = Reopen(node, depth);
        if (rc < 0)
        {
            Release(node);
            return new NodeFd(-rc);
        }
        KeepWithinBudget();
        return new NodeFd(this, node, rc);
    }

    private int Reopen(InodeNode node, int depth)
    {
        lock (node)
        {
            int fd = node.Fd;
            if (fd >= 0) return fd;
            if (node.Location is not { } location || depth >= MaxDepth) return -Errno.ESTALE;
            using (var parent = Acquire(location.Parent, depth + 1))
            {
                if (parent.Fd < 0) return parent.Fd;
                fd = OpenPath(parent.Fd, location.LowerName);
            }
            if (fd < 0) return fd == -Errno.ENOENT ? -Errno.ESTALE : fd;
            // The name may now be another inode's (renamed or replaced outside the mount).
            if (Native.FStat(fd, out var st) < 0 || (st.Dev, st.Ino) != node.Key)
            {
                Native.Close(fd);
                return -Errno.ESTALE;
            }
            Volatile.Write(ref node.Fd, fd);
            Interlocked.Increment(ref _open);
            node.Referenced = true;
            return fd;
        }
    }

    /// <summary>openat(O_PATH|O_NOFOLLOW), making room among node descriptors once if the process has none left.</summary>
    public unsafe int OpenPath(int dirFd, byte[] name)
    {
        fixed (byte* n = NativeString.Z(name, stackalloc byte[NativeString.NameBuffer]))
        {
            int fd = Native.OpenAt(dirFd, n, Native.O_PATH | Native.O_NOFOLLOW);
            if (fd == -Errno.EMFILE && MakeRoom()) fd = Native.OpenAt(dirFd, n, Native.O_PATH | Native.O_NOFOLLOW);
            return fd;
        }
    }

    internal void Release(InodeNode node)
    {
        if (Interlocked.Decrement(ref node.Users) == 0 && node.Forgotten) TryClose(node, evenPinned: true);
    }

    /// <summary>
    /// The node's name is about to be removed (unlink, rmdir, rename over it): keeps its descriptor
    /// open until the kernel forgets it, since there will be no name left to reopen it from. A node
    /// that is not open and whose descriptor the budget already closed is not reopened for that: it
    /// was not used for a while, nothing but its forget is likely to come, and reopening it would
    /// cost every `rm -rf` of a large tree three system calls per file (anything else answers
    /// ESTALE). True if the node keeps a descriptor.
    /// </summary>
    public bool Pin(InodeNode node)
    {
        if (Volatile.Read(ref node.Fd) < 0 && Volatile.Read(ref node.OpenHandles) == 0) return false;
        using var fd = Acquire(node);
        if (fd.Fd < 0) return false;
        lock (node) node.Pinned = true;
        return true;
    }

    /// <summary>
    /// No new lookup finds this node by its key; the kernel's id stays valid until its forget. For a
    /// node without a descriptor whose inode lost its last link: once the inode is freed, the
    /// backing filesystem may give its number to a new file, which must not be taken for this node.
    /// </summary>
    public void Detach(InodeNode node)
    {
        lock (_gate)
            if (_byKey.TryGetValue(node.Key, out var keyed) && keyed == node) _byKey.Remove(node.Key);
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
        gone.Forgotten = true;
        TryClose(gone, evenPinned: true);
    }

    /// <summary>Closes the node's descriptor unless an operation is using it (or it is pinned).</summary>
    private bool TryClose(InodeNode node, bool evenPinned)
    {
        if (node == Root) return false;
        int fd;
        // The sweep may run inside a reopen that holds a chain of node locks: it skips busy nodes
        // rather than wait for one (lock order is child before parent everywhere else).
        if (evenPinned) Monitor.Enter(node);
        else if (!Monitor.TryEnter(node)) return false;
        try
        {
            fd = node.Fd;
            if (fd < 0 || (node.Pinned && !evenPinned)) return false;
            if (Interlocked.CompareExchange(ref node.Fd, -1, fd) != fd) return false;
            if (Volatile.Read(ref node.Users) != 0)
            {
                Volatile.Write(ref node.Fd, fd);
                return false;
            }
        }
        finally { Monitor.Exit(node); }
        Native.Close(fd);
        Interlocked.Decrement(ref _open);
        return true;
    }

    private void KeepWithinBudget()
    {
        if (Volatile.Read(ref _open) <= Budget) return;
        if (!_budgetNoticed)
        {
            _budgetNoticed = true;
            _notice?.Invoke($"the kernel caches more than {Budget} nodes: their descriptors are now closed least recently used first, and reopened by name when needed");
        }
        Sweep(Budget - Budget / 8);
    }

    /// <summary>The process ran out of descriptors: closes half of the node descriptors it can. True if any closed.</summary>
    public bool MakeRoom()
    {
        int before = Volatile.Read(ref _open);
        if (!_shortageNoticed)
        {
            _shortageNoticed = true;
            _notice?.Invoke($"out of file descriptors with {before} node descriptors open: closing the least recently used half");
        }
        Sweep(before / 2, wait: true);
        return Volatile.Read(ref _open) < before;
    }

    /// <summary>
    /// Clock (second-chance) sweep over the node slots: a node used since the last pass keeps its
    /// descriptor one more round. Two rounds at most; one sweeper at a time, the others go on.
    /// </summary>
    private void Sweep(int target, bool wait = false)
    {
        if (wait) Monitor.Enter(_sweepGate);
        else if (!Monitor.TryEnter(_sweepGate)) return;
        try
        {
            ulong slots = _nodes.Capacity;
            for (ulong step = 0; step < 2 * slots && Volatile.Read(ref _open) > target; step++)
            {
                ulong id = _hand;
                _hand = id + 1 >= slots ? 1 : id + 1;
                if (_nodes.Get(id) is not { } node || Volatile.Read(ref node.Fd) < 0) continue;
                if (node.Referenced) { node.Referenced = false; continue; }
                TryClose(node, evenPinned: false);
            }
        }
        finally { Monitor.Exit(_sweepGate); }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var node in _byKey.Values)
            {
                if (node == Root) continue;
                int fd = Interlocked.Exchange(ref node.Fd, -1);
                if (fd >= 0) Native.Close(fd);
            }
            _byKey.Clear();
        }
    }
}
