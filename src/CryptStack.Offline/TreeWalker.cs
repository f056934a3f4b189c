using System.Text;
using CryptStack.Encryption;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline;

/// <summary>One entry met by <see cref="TreeWalker"/>: its plaintext path and name (bytes, as stored), node and attributes.</summary>
public sealed record TreeEntry(string PlainPath, byte[] Name, ulong Node, Stat Attr, int Depth)
{
    public bool IsDirectory => Native.IsDirectory(Attr.Mode);
    public bool IsRegular => Native.IsRegular(Attr.Mode);
    public bool IsSymlink => Native.IsSymlink(Attr.Mode);
}

/// <summary>What a walk does with what it meets. Every callback runs on the walking thread, in tree order.</summary>
public interface ITreeVisitor
{
    /// <summary>Before a directory's entries; false skips them (and <see cref="LeaveDirectory"/>).</summary>
    bool EnterDirectory(TreeEntry directory);

    /// <summary>After a directory's entries: the place for what must come after its contents (times).</summary>
    void LeaveDirectory(TreeEntry directory);

    /// <summary>Anything that is not a directory.</summary>
    void Visit(TreeEntry entry);

    /// <summary>
    /// Something the walk could not read: a name or directory id the layer reported damaged (with its
    /// ciphertext path), or an entry or directory that could not be reached (errno).
    /// </summary>
    void Damaged(string plainPath, string? cipherPath, DamageKind kind, string reason);
}

/// <summary>
/// Walks the plaintext tree of an <see cref="OfflineVolume"/> depth first, entries in bytewise name order,
/// each directory entered before its contents and left after them. One walker serves restore, listing,
/// counting, and later fsck: what to do is the visitor's. Nodes are forgotten as soon as their subtree is
/// done, so a walk of any size holds only the current path's nodes.
/// </summary>
public sealed class TreeWalker(OfflineVolume volume, ITreeVisitor visitor)
{
    /// <summary>Walks from each plaintext path (the whole tree for "/"); a path that does not exist throws <see cref="OfflineException"/>.</summary>
    public void Walk(IEnumerable<string> plainPaths)
    {
        foreach (string path in plainPaths)
        {
            using var resolved = volume.Resolve(path);
            string display = resolved.PlainPath;
            byte[] name = display == "/" ? [] : Encoding.UTF8.GetBytes(display[(display.LastIndexOf('/') + 1)..]);
            int depth = PlainPath.Components(display).Count();
            Walk(new TreeEntry(display, name, resolved.Node, resolved.Attr, depth));
        }
    }

    /// <summary>Walks from an entry whose node the caller keeps known while this runs.</summary>
    public void Walk(TreeEntry start)
    {
        if (!start.IsDirectory)
        {
            visitor.Visit(start);
            return;
        }
        WalkDirectory(start);
    }

    private void WalkDirectory(TreeEntry directory)
    {
        if (!visitor.EnterDirectory(directory)) return;
        var entries = new List<ListedEntry>();
        int mark = volume.Damage.Count;
        int rc = volume.List(directory.Node, entries);
        foreach (var report in volume.Damage.Since(mark))
        {
            // A name that does not decrypt is reported against its directory; a directory id against the directory.
            visitor.Damaged(directory.PlainPath, report.CipherPath, report.Kind, report.Reason);
        }
        if (rc < 0 && volume.Damage.Count == mark)
            visitor.Damaged(directory.PlainPath, volume.CipherPathOf(directory.Node), DamageKind.Name, $"cannot list the directory (errno {-rc})");
        int next = 0;
        try
        {
            for (; next < entries.Count; next++)
            {
                var listed = entries[next];
                string path = PlainPath.Join(directory.PlainPath, Encoding.UTF8.GetString(listed.Name));
                if (listed.Entry.Ino == 0)
                {
                    visitor.Damaged(path, Path.Combine(volume.CipherPathOf(directory.Node), Encoding.UTF8.GetString(listed.LowerName)),
                        DamageKind.Name, "listed, but cannot be reached");
                    continue;
                }
                var entry = new TreeEntry(path, listed.Name, listed.Entry.Ino, listed.Entry.Attr, directory.Depth + 1);
                try
                {
                    if (entry.IsDirectory) WalkDirectory(entry);
                    else visitor.Visit(entry);
                }
                finally
                {
                    // Each listed entry came with one lookup; give it back once its subtree is done.
                    volume.Stack.Forget(listed.Entry.Ino, 1);
                }
            }
        }
        finally
        {
            // After a failure, the entries not reached yet still hold their lookups.
            for (int i = next + 1; i < entries.Count; i++)
                if (entries[i].Entry.Ino != 0) volume.Stack.Forget(entries[i].Entry.Ino, 1);
        }
        visitor.LeaveDirectory(directory);
    }
}
