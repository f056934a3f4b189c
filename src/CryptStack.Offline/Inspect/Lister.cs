using CryptStack.Encryption;

namespace CryptStack.Offline.Inspect;

/// <summary>One entry for `cryptstack ls`: its path relative to the listed directory, attributes, and a symlink's target.</summary>
public sealed record ListingItem(string RelativePath, TreeEntry Entry, byte[]? LinkTarget);

/// <summary>
/// `cryptstack ls`: the entries of a directory (or the one entry a file path names), and with recursion every
/// entry below it, in walk order, each as a path relative to the listed directory (like `restic ls` or `tar t`).
/// Damage is reported by path and the listing goes on.
/// </summary>
public sealed class Lister(OfflineVolume volume, bool recursive, bool linkTargets, Action<ListingItem> emit,
    Action<string, string?, string> damaged) : ITreeVisitor
{
    private string _start = "/";

    public void Run(string plainPath)
    {
        using var resolved = volume.Resolve(plainPath);
        _start = resolved.PlainPath;
        var start = new TreeEntry(resolved.PlainPath, [], resolved.Node, resolved.Attr, 0);
        if (!start.IsDirectory)
        {
            emit(Item(start, start.PlainPath.TrimStart('/')));
            return;
        }
        new TreeWalker(volume, this).Walk(start);
    }

    private string Relative(string path) => _start == "/" ? path[1..] : path[(_start.Length + 1)..];

    private ListingItem Item(TreeEntry entry, string relative)
    {
        byte[]? target = null;
        if (linkTargets && entry.IsSymlink)
        {
            int mark = volume.Damage.Count;
            if (volume.ReadLink(entry.Node, out byte[] t) == 0) target = t;
            else foreach (var d in volume.Damage.Since(mark)) damaged(entry.PlainPath, d.CipherPath, $"the link target does not decrypt ({d.Reason})");
        }
        return new ListingItem(relative, entry, target);
    }

    public bool EnterDirectory(TreeEntry directory)
    {
        if (directory.PlainPath == _start) return true;
        emit(Item(directory, Relative(directory.PlainPath)));
        return recursive;
    }

    public void LeaveDirectory(TreeEntry directory) { }

    public void Visit(TreeEntry entry) => emit(Item(entry, Relative(entry.PlainPath)));

    public void Damaged(string plainPath, string? cipherPath, DamageKind kind, string reason) =>
        damaged(plainPath, cipherPath, kind == DamageKind.DirectoryId
            ? $"the directory id is missing or damaged ({reason}): the names inside cannot be decrypted"
            : $"an entry does not decrypt ({reason})");
}
