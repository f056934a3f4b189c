using System.Collections.Concurrent;
using System.Text;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>A backing directory opened O_PATH for *at calls, with its name-transform state.</summary>
public readonly struct LowerDirectory(int fd, bool owned, object? state) : IDisposable
{
    public int Fd { get; } = fd;
    public object? State { get; } = state;
    public void Dispose()
    {
        if (owned) Native.Close(Fd);
    }
}

/// <summary>
/// Finds the backing directory for an upper directory path. With identity names this is one
/// openat2 beneath the root; otherwise each component is encoded in its parent's state, and
/// the backing path and state of directories are cached (dropped on rename and rmdir).
/// </summary>
internal sealed unsafe class DirectoryResolver
{
    private sealed record Entry(byte[] LowerPath, object? State);

    private readonly int _rootFd;
    private readonly INameTransform _names;
    private readonly bool _cache;
    private readonly Entry _root;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public DirectoryResolver(int rootFd, INameTransform names, bool cache)
    {
        _rootFd = rootFd;
        _names = names;
        _cache = cache;
        _root = new Entry([], names.LoadDirectory(rootFd, "/"));
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
        if (_names.IsIdentity)
        {
            int fd = OpenBeneath(upperDir[1..]);
            dir = new LowerDirectory(Math.Max(fd, 0), fd >= 0, null);
            return Math.Min(fd, 0);
        }
        int rc = Lookup(upperDir, out Entry entry, out bool cached);
        if (rc < 0) { dir = default; return rc; }
        int dfd = OpenBeneath(entry.LowerPath);
        if (dfd == -Errno.ENOENT && cached)
        {
            // Renamed or removed under us (another mount on shared storage): look it up afresh.
            _entries.TryRemove(Latin1(upperDir), out _);
            rc = Lookup(upperDir, out entry, out _);
            if (rc < 0) { dir = default; return rc; }
            dfd = OpenBeneath(entry.LowerPath);
        }
        dir = new LowerDirectory(Math.Max(dfd, 0), dfd >= 0, entry.State);
        return Math.Min(dfd, 0);
    }

    /// <summary>Forget cached directories at or below <paramref name="upperPath"/>.</summary>
    public void Invalidate(ReadOnlySpan<byte> upperPath)
    {
        if (_entries.IsEmpty) return;
        string key = Latin1(upperPath);
        string prefix = key + "/";
        foreach (var k in _entries.Keys)
            if (k == key || k.StartsWith(prefix, StringComparison.Ordinal)) _entries.TryRemove(k, out _);
    }

    private int Lookup(ReadOnlySpan<byte> upperDir, out Entry entry, out bool cached)
    {
        string key = Latin1(upperDir);
        if (_entries.TryGetValue(key, out entry!)) { cached = true; return 0; }
        cached = false;
        int slash = upperDir.LastIndexOf((byte)'/');
        Entry parent;
        if (slash <= 0) parent = _root;
        else
        {
            int prc = Lookup(upperDir[..slash], out parent, out _);
            if (prc < 0) { entry = null!; return prc; }
        }
        LowerName name;
        try { name = _names.Encode(parent.State, upperDir[(slash + 1)..]); }
        catch (StackException e) { entry = null!; return -e.Errno; }
        byte[] lowerPath = parent.LowerPath.Length == 0
            ? name.Name
            : [.. parent.LowerPath, (byte)'/', .. name.Name];
        int fd = OpenBeneath(lowerPath);
        if (fd < 0) { entry = null!; return fd; }
        try { entry = new Entry(lowerPath, _names.LoadDirectory(fd, Encoding.UTF8.GetString(upperDir))); }
        catch (StackException e) { entry = null!; return -e.Errno; }
        finally { Native.Close(fd); }
        if (_cache) _entries[key] = entry;
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
