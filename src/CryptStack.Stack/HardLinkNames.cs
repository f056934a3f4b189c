using System.Collections.Concurrent;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>
/// libfuse's high-level API gives every name its own kernel inode, so a change made through one
/// name of a hard-linked file (link count after link or unlink, size and data after truncate or
/// write, mode, owner, times) stayed invisible through its other names until their cached
/// attributes expired. This remembers the names under which the kernel knows each multiply
/// linked file and has the kernel drop the other names' caches after a change.
/// </summary>
internal sealed class HardLinkNames
{
    private readonly record struct Key(ulong Dev, ulong Ino);

    private const int MaxNamesPerFile = 32;
    private readonly ConcurrentDictionary<Key, List<byte[]>> _files = new();

    /// <summary>Nothing is tracked: callers skip the extra stat.</summary>
    public bool IsEmpty => _files.IsEmpty;

    private static bool IsMultiplyLinked(in Stat st) => Native.IsRegular(st.Mode) && st.NLink > 1;

    /// <summary>The kernel now knows the file <paramref name="st"/> describes under <paramref name="path"/>.</summary>
    public void Seen(in Stat st, ReadOnlySpan<byte> path)
    {
        if (!IsMultiplyLinked(st))
        {
            if (!_files.IsEmpty && Native.IsRegular(st.Mode)) _files.TryRemove(new Key(st.Dev, st.Ino), out _);
            return;
        }
        if (path.IsEmpty) return;
        var names = _files.GetOrAdd(new Key(st.Dev, st.Ino), _ => []);
        lock (names)
        {
            foreach (byte[] n in names)
                if (path.SequenceEqual(n)) return;
            if (names.Count >= MaxNamesPerFile) names.RemoveAt(0);
            names.Add(path.ToArray());
        }
    }

    /// <summary><paramref name="path"/> no longer names the file.</summary>
    public void Forget(in Stat st, ReadOnlySpan<byte> path)
    {
        if (!_files.TryGetValue(new Key(st.Dev, st.Ino), out var names)) return;
        lock (names)
        {
            for (int i = 0; i < names.Count; i++)
            {
                if (!path.SequenceEqual(names[i])) continue;
                names.RemoveAt(i);
                break;
            }
        }
    }

    /// <summary>A directory moved from <paramref name="from"/> to <paramref name="to"/> (both ways for an exchange): so did the names below it.</summary>
    public void DirectoryMoved(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, bool exchange)
    {
        if (_files.IsEmpty) return;
        byte[] a = from.ToArray(), b = to.ToArray();
        foreach (var names in _files.Values)
        lock (names)
        {
            for (int i = 0; i < names.Count; i++)
            {
                if (IsBelow(names[i], a)) names[i] = [.. b, .. names[i].AsSpan(a.Length)];
                else if (exchange && IsBelow(names[i], b)) names[i] = [.. a, .. names[i].AsSpan(b.Length)];
            }
        }
    }

    private static bool IsBelow(byte[] path, byte[] dir) =>
        path.Length > dir.Length && path[dir.Length] == (byte)'/' && path.AsSpan().StartsWith(dir);

    /// <summary>Drops the kernel's caches for every other name of a multiply linked file.</summary>
    public void InvalidateOthers(in Stat st, ReadOnlySpan<byte> except)
    {
        if (!Native.IsRegular(st.Mode) || !_files.TryGetValue(new Key(st.Dev, st.Ino), out var names)) return;
        byte[][] others;
        lock (names) others = [.. names];
        foreach (byte[] n in others)
            if (!except.SequenceEqual(n) && FuseRequest.InvalidatePath(n) == -Errno.ENOENT)
                Forget(st, n);
        if (st.NLink <= 1) _files.TryRemove(new Key(st.Dev, st.Ino), out _);
    }
}
