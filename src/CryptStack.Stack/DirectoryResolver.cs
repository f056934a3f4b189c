using System.Collections.Concurrent;
using System.Text;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>A backing directory opened O_PATH for *at calls, with its name-transform state.</summary>
public readonly struct LowerDirectory : IDisposable
{
    private readonly bool _owned;
    private readonly DirectoryLease? _lease;

    public LowerDirectory(int fd, bool owned, object? state)
    {
        Fd = fd;
        _owned = owned;
        State = state;
    }

    internal LowerDirectory(DirectoryLease lease)
    {
        Fd = lease.Fd;
        State = lease.State;
        _lease = lease;
    }

    public int Fd { get; }
    public object? State { get; }
    internal DirectoryLease? Lease => _lease;

    public void Dispose()
    {
        if (_lease != null) _lease.Release();
        else if (_owned) Native.Close(Fd);
    }
}

/// <summary>
/// A cached backing directory descriptor, shared by concurrent operations. The cache holds one
/// reference; each operation takes one; the descriptor is closed when the last is given back, so
/// an invalidation never closes an fd another thread is using (which could then be reused).
/// </summary>
internal sealed class DirectoryLease(int fd, byte[] lowerPath, object? state)
{
    private int _refs = 1;

    public int Fd { get; } = fd;
    public byte[] LowerPath { get; } = lowerPath;
    public object? State { get; } = state;
    public long Expires { get; init; }

    public bool TryAcquire()
    {
        lock (this)
        {
            if (_refs == 0) return false;
            _refs++;
            return true;
        }
    }

    public void Release()
    {
        bool close;
        lock (this) close = --_refs == 0;
        if (close) Native.Close(Fd);
    }
}

/// <summary>
/// Finds the backing directory for an upper directory path: one openat2 beneath the root with
/// identity names, otherwise each component encoded in its parent's state. Opened directories are
/// cached briefly (as long as the kernel caches entries), which saves an openat2 and a close on
/// every operation of a metadata-heavy workload; renames and rmdir drop what they affect. With
/// caching off (storage other hosts change), every operation resolves its path afresh.
/// </summary>
internal sealed unsafe class DirectoryResolver : IDisposable
{
    private const int MaxEntries = 4096;

    private readonly int _rootFd;
    private readonly INameTransform _names;
    private readonly bool _cache;
    private readonly long _lifetimeMs;
    private readonly DirectoryLease _root;
    private readonly ConcurrentDictionary<string, DirectoryLease> _entries = new(StringComparer.Ordinal);

    public DirectoryResolver(int rootFd, INameTransform names, bool cache, TimeSpan lifetime)
    {
        _rootFd = rootFd;
        _names = names;
        _cache = cache;
        _lifetimeMs = (long)lifetime.TotalMilliseconds;
        _root = new DirectoryLease(rootFd, [], names.LoadDirectory(rootFd, "/"));
    }

    public object? RootState => _root.State;

    /// <summary>Opens the backing directory of <paramref name="upperDir"/> ("" or "/" for the root, else "/a/b").</summary>
    public int Open(ReadOnlySpan<byte> upperDir, out LowerDirectory dir)
    {
        if (upperDir.Length <= 1)
        {
            dir = new LowerDirectory(_rootFd, false, _root.State);
            return 0;
        }
        string? key = null;
        if (_cache)
        {
            key = Latin1(upperDir);
            if (_entries.TryGetValue(key, out var cached))
            {
                if (Environment.TickCount64 < cached.Expires && cached.TryAcquire())
                {
                    dir = new LowerDirectory(cached);
                    return 0;
                }
                Drop(key, cached);
            }
        }
        int rc = Resolve(upperDir, out byte[] lowerPath, out object? state, out int fd);
        if (rc < 0)
        {
            dir = default;
            return rc;
        }
        if (key != null)
        {
            if (_entries.Count >= MaxEntries) Clear();
            var lease = new DirectoryLease(fd, lowerPath, state) { Expires = Environment.TickCount64 + _lifetimeMs };
            if (_entries.TryAdd(key, lease) && lease.TryAcquire())
            {
                dir = new LowerDirectory(lease);
                return 0;
            }
        }
        dir = new LowerDirectory(fd, true, state);
        return 0;
    }

    /// <summary>Forget cached directories at or below <paramref name="upperPath"/>.</summary>
    public void Invalidate(ReadOnlySpan<byte> upperPath)
    {
        if (_entries.IsEmpty) return;
        string key = Latin1(upperPath);
        string prefix = key + "/";
        foreach (var (k, lease) in _entries)
            if (k == key || k.StartsWith(prefix, StringComparison.Ordinal)) Drop(k, lease);
    }

    private void Drop(string key, DirectoryLease lease)
    {
        if (_entries.TryRemove(new KeyValuePair<string, DirectoryLease>(key, lease))) lease.Release();
    }

    private void Clear()
    {
        foreach (var (k, lease) in _entries) Drop(k, lease);
    }

    public void Dispose() => Clear();

    /// <summary>Opens the backing directory of <paramref name="upperDir"/> and loads its state, without the cache.</summary>
    private int Resolve(ReadOnlySpan<byte> upperDir, out byte[] lowerPath, out object? state, out int fd)
    {
        state = null;
        fd = -1;
        if (_names.IsIdentity)
        {
            lowerPath = upperDir[1..].ToArray();
            fd = OpenBeneath(lowerPath);
            return Math.Min(fd, 0);
        }
        lowerPath = [];
        int slash = upperDir.LastIndexOf((byte)'/');
        byte[] parentPath;
        object? parentState;
        if (slash <= 0)
        {
            parentPath = [];
            parentState = _root.State;
        }
        else if (_cache)
        {
            // Through the cache, so intermediate directories are cached too.
            int prc = Open(upperDir[..slash], out var parent);
            if (prc < 0) return prc;
            parentState = parent.State;
            byte[]? cachedPath = parent.Lease?.LowerPath;
            parent.Dispose();
            if (cachedPath == null)
            {
                prc = Resolve(upperDir[..slash], out cachedPath, out _, out int pfd);
                if (prc < 0) return prc;
                Native.Close(pfd);
            }
            parentPath = cachedPath;
        }
        else
        {
            int prc = Resolve(upperDir[..slash], out parentPath, out parentState, out int pfd);
            if (prc < 0) return prc;
            Native.Close(pfd);
        }
        LowerName name;
        try { name = _names.Encode(parentState, upperDir[(slash + 1)..]); }
        catch (StackException e) { return -e.Errno; }
        lowerPath = parentPath.Length == 0 ? name.Name : [.. parentPath, (byte)'/', .. name.Name];
        fd = OpenBeneath(lowerPath);
        if (fd < 0) return fd;
        try { state = _names.LoadDirectory(fd, Encoding.UTF8.GetString(upperDir)); }
        catch (StackException e)
        {
            Native.Close(fd);
            fd = -1;
            return -e.Errno;
        }
        return 0;
    }

    private int OpenBeneath(ReadOnlySpan<byte> relative)
    {
        Span<byte> z = relative.Length < 1024 ? stackalloc byte[relative.Length + 1] : new byte[relative.Length + 1];
        relative.CopyTo(z);
        z[relative.Length] = 0;
        fixed (byte* p = z) return Native.OpenBeneath(_rootFd, p, Native.O_PATH | Native.O_DIRECTORY);
    }

    // Names are bytes, not necessarily UTF-8: Latin-1 maps every byte to its own char, so distinct names stay distinct keys.
    private static string Latin1(ReadOnlySpan<byte> s) => Encoding.Latin1.GetString(s);
}
