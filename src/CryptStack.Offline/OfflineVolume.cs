using System.Text;
using CryptStack.Encryption;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;
using CryptStack.Volume;
using Microsoft.Extensions.Logging.Abstractions;

namespace CryptStack.Offline;

/// <summary>
/// The plaintext view of a ciphertext directory without a mount: the same stack and encryption layer the
/// mount runs, called in process (as the kernel would call them), so names, directory ids, sidecars, link
/// targets, xattrs and contents are decoded by the one implementation there is. What the layer finds damaged
/// is collected in <see cref="Damage"/> instead of only logged. Works on any copy of CIPHERDIR (a tar or rsync
/// copy, a read-only snapshot); it never writes to it.
/// </summary>
public sealed class OfflineVolume : IDisposable
{
    /// <summary>The root's node id (FUSE_ROOT_ID).</summary>
    public const ulong RootNode = 1;

    private readonly UnlockedVolume _volume;
    private readonly EncryptionLayer _layer;

    public InodeStackFileSystem Stack { get; }

    /// <summary>The unlocked volume (config and keys), for the checks that work below the plaintext view (fsck).</summary>
    internal UnlockedVolume Unlocked => _volume;
    public DamageCollector Damage { get; } = new();
    public string CipherDir { get; }

    private OfflineVolume(UnlockedVolume volume, string cipherDir)
    {
        _volume = volume;
        CipherDir = Path.GetFullPath(cipherDir);
        _layer = new EncryptionLayer(volume, NullLoggerFactory.Instance, new EncryptionOptions { Damage = Damage });
        try
        {
            Stack = new InodeStackFileSystem(CipherDir, _layer.Transforms, NullLogger.Instance);
        }
        catch (StackException e)
        {
            _layer.Dispose();
            string detail = Damage.Count > 0 ? Damage.Since(0)[0].Reason : e.Message;
            throw new OfflineException(OfflineErrorKind.Unreadable, $"{CipherDir}: the volume's root cannot be read ({detail})");
        }
    }

    /// <summary>Takes ownership of <paramref name="volume"/> (disposed with this object, which zeroes its keys).</summary>
    public static OfflineVolume Open(UnlockedVolume volume, string cipherDir)
    {
        try { return new OfflineVolume(volume, cipherDir); }
        catch
        {
            volume.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Looks a plaintext path up from the root ("/a/b", "a/b" and "" for the root). The nodes of the path
    /// and its ancestors stay known until the result is disposed.
    /// </summary>
    public ResolvedPath Resolve(string plainPath)
    {
        var path = new ResolvedPath(this);
        try
        {
            ulong node = RootNode;
            int rc = Stack.GetAttr(RootNode, out var attr, default);
            if (rc < 0) throw new OfflineException(OfflineErrorKind.Unreadable, $"{CipherDir}: cannot stat the root (errno {-rc})");
            var plain = new StringBuilder();
            foreach (string part in PlainPath.Components(plainPath))
            {
                if (!Native.IsDirectory(attr.Mode))
                    throw new OfflineException(OfflineErrorKind.NoSuchPath, $"{PlainPath.Display(plain.ToString())} is not a directory");
                int mark = Damage.Count;
                rc = Stack.Lookup(node, Encoding.UTF8.GetBytes(part), out var entry);
                plain.Append('/').Append(part);
                if (rc == 0 && entry.Ino == 0) rc = -Errno.ENOENT;
                if (rc < 0)
                {
                    var found = Damage.Since(mark);
                    string why = found.Count > 0 ? found[0].Reason : rc == -Errno.ENOENT ? "no such file or directory" : $"errno {-rc}";
                    throw new OfflineException(rc == -Errno.ENOENT ? OfflineErrorKind.NoSuchPath : OfflineErrorKind.Unreadable,
                        $"{PlainPath.Display(plain.ToString())}: {why}");
                }
                path.Add(entry.Ino);
                node = entry.Ino;
                attr = entry.Attr;
            }
            path.Complete(PlainPath.Display(plain.ToString()), node, attr);
            return path;
        }
        catch
        {
            path.Dispose();
            throw;
        }
    }

    /// <summary>The entries of a directory node, sorted by name (bytewise), each with one lookup the caller forgets.</summary>
    public int List(ulong node, List<ListedEntry> into)
    {
        int rc = Stack.ListDirectory(node, into);
        into.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        return rc;
    }

    /// <summary>The absolute ciphertext path of a node, as it was last reached.</summary>
    public string CipherPathOf(ulong node)
    {
        string? relative = Stack.LowerPathOf(node);
        return relative is null ? CipherDir : relative.Length == 0 ? CipherDir : Path.Combine(CipherDir, relative);
    }

    /// <summary>A symlink's plaintext target, or -errno.</summary>
    public int ReadLink(ulong node, out byte[] target)
    {
        var buffer = new byte[4096];
        int n = Stack.ReadLink(node, buffer);
        target = n < 0 ? [] : buffer[..n];
        return n < 0 ? n : 0;
    }

    /// <summary>The plaintext xattrs of a node, or -errno (the first failure; names that do not decode are left out and reported).</summary>
    public int ReadXattrs(ulong node, List<KeyValuePair<byte[], byte[]>> into)
    {
        int size = Stack.ListXAttr(node, []);
        if (size == -Errno.EOPNOTSUPP || size == 0) return 0;
        if (size < 0) return size;
        var list = new byte[size];
        size = Stack.ListXAttr(node, list);
        if (size < 0) return size;
        int firstError = 0;
        foreach (var range in new NulSeparated(list.AsSpan(0, size)))
        {
            byte[] name = list[range];
            var value = new byte[64 * 1024];
            int n = Stack.GetXAttr(node, name, value);
            if (n < 0)
            {
                if (firstError == 0) firstError = n;
                continue;
            }
            into.Add(new(name, value[..n]));
        }
        return firstError;
    }

    public void Dispose()
    {
        Stack.Dispose();
        _layer.Dispose();
        _volume.Dispose();
    }
}

/// <summary>
/// A plaintext path looked up by <see cref="OfflineVolume.Resolve"/>: its node and attributes. Dispose gives the
/// lookups of the node and its ancestors back (the stack keeps a node's parents known while the node is).
/// </summary>
public sealed class ResolvedPath(OfflineVolume volume) : IDisposable
{
    private readonly List<ulong> _lookups = [];

    /// <summary>"/" or "/a/b".</summary>
    public string PlainPath { get; private set; } = "/";
    public ulong Node { get; private set; } = OfflineVolume.RootNode;
    public Stat Attr { get; private set; }
    public bool IsDirectory => Native.IsDirectory(Attr.Mode);

    internal void Add(ulong node) => _lookups.Add(node);

    internal void Complete(string plainPath, ulong node, in Stat attr)
    {
        PlainPath = plainPath;
        Node = node;
        Attr = attr;
    }

    public void Dispose()
    {
        for (int i = _lookups.Count - 1; i >= 0; i--) volume.Stack.Forget(_lookups[i], 1);
        _lookups.Clear();
    }
}

/// <summary>Plaintext paths as users type them: relative to the volume root, with or without a leading '/'.</summary>
public static class PlainPath
{
    public static IEnumerable<string> Components(string path)
    {
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") throw new OfflineException(OfflineErrorKind.InvalidPath, $"{path}: '..' is not allowed in a path inside the volume");
            yield return part;
        }
    }

    /// <summary>"/" for the root, else the path as given with a leading '/'.</summary>
    public static string Display(string path) => path.Length == 0 ? "/" : path.StartsWith('/') ? path : "/" + path;

    public static string Join(string parent, string name) => parent == "/" ? "/" + name : parent + "/" + name;
}
