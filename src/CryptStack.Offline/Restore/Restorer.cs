using CryptStack.Encryption;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Restore;

/// <summary>
/// `cryptstack decrypt`: writes the plaintext tree (or chosen paths of it, at the same paths) into a plain
/// directory, keeping modes, owners (when root), atime and mtime (a directory's after its contents), symlinks,
/// hard links as hard links, holes, FIFOs, sockets, device nodes and xattrs. What cannot be restored is
/// reported by plaintext and ciphertext path and the rest goes on; <see cref="RestoreSummary.Complete"/> says
/// whether anything was skipped or incomplete.
/// </summary>
public sealed class Restorer : ITreeVisitor
{
    private readonly OfflineVolume _volume;
    private readonly RestoreOptions _options;
    private readonly WorkProgress _progress;
    private readonly Action<RestoreProblem> _report;
    private readonly ContentCopier _copier;
    private readonly bool _owners;
    private readonly DestinationDirectory _root;
    /// <summary>The destination directories from the root down to the one being filled, with their relative paths.</summary>
    private readonly Stack<(DestinationDirectory Dir, byte[] Relative)> _open = new();
    /// <summary>Files with more than one link, by backing inode: the relative path of the first one restored.</summary>
    private readonly Dictionary<(ulong Dev, ulong Ino), byte[]> _restoredLinks = [];
    private readonly Dictionary<(ulong Dev, ulong Ino), string> _failedLinks = [];
    private long _files, _directories, _symlinks, _hardLinks, _special, _bytes;
    private int _skipped, _incomplete;

    private Restorer(OfflineVolume volume, DestinationDirectory root, RestoreOptions options, WorkProgress progress, Action<RestoreProblem> report)
    {
        _volume = volume;
        _root = root;
        _options = options;
        _progress = progress;
        _report = report;
        _copier = new ContentCopier(volume, progress);
        _owners = options.Owners ?? Native.GetEuid() == 0;
    }

    /// <summary>
    /// Restores <paramref name="plainPaths"/> (everything when empty) into <paramref name="destination"/>, which
    /// must be empty or missing unless <see cref="RestoreOptions.Overwrite"/>.
    /// </summary>
    public static RestoreSummary Run(OfflineVolume volume, string destination, IReadOnlyList<string> plainPaths,
        RestoreOptions options, WorkProgress progress, Action<RestoreProblem> report)
    {
        if (!options.Overwrite && !DestinationDirectory.IsEmpty(destination))
            throw new OfflineException(OfflineErrorKind.DestinationNotEmpty, $"{destination}: the destination is not empty; restore into an empty directory, or overwrite what is there");
        var chosen = WithoutNested(plainPaths);
        using var root = DestinationDirectory.OpenRoot(Path.GetFullPath(destination));
        var restorer = new Restorer(volume, root, options, progress, report);
        restorer._open.Push((root, []));
        var walker = new TreeWalker(volume, restorer);
        if (chosen.Count == 0) walker.Walk(["/"]);
        else
        {
            var ancestors = new List<TreeEntry>();
            foreach (string path in chosen) restorer.RestoreChosen(walker, path, ancestors);
            // Like a directory's times after its contents: the ancestors of chosen paths get theirs last, deepest first.
            foreach (var ancestor in ancestors.OrderByDescending(a => a.Depth)) restorer.FinishAncestor(ancestor);
        }
        return new RestoreSummary(restorer._files, restorer._directories, restorer._symlinks, restorer._hardLinks,
            restorer._special, restorer._bytes, restorer._skipped, restorer._incomplete);
    }

    /// <summary>Chosen paths, without those inside another chosen path (restored with it anyway).</summary>
    private static List<string> WithoutNested(IReadOnlyList<string> plainPaths)
    {
        var normal = plainPaths.Select(p => "/" + string.Join('/', PlainPath.Components(p))).Distinct().ToList();
        if (normal.Contains("/")) return [];
        return normal.Where(p => !normal.Any(other => other != p && p.StartsWith(other + "/", StringComparison.Ordinal))).ToList();
    }

    private void RestoreChosen(TreeWalker walker, string path, List<TreeEntry> ancestors)
    {
        var parts = PlainPath.Components(path).ToList();
        int opened = 0;
        try
        {
            // The chosen entry's ancestors, made (or merged into) with their own attributes applied at the end.
            for (int i = 0; i < parts.Count - 1; i++)
            {
                string prefix = "/" + string.Join('/', parts.Take(i + 1));
                using var resolved = _volume.Resolve(prefix);
                var entry = new TreeEntry(resolved.PlainPath, System.Text.Encoding.UTF8.GetBytes(parts[i]), resolved.Node, resolved.Attr, i + 1);
                var (parent, relative) = _open.Peek();
                int rc = parent.OpenSubdirectory(entry.Name, replace: true, out var child);
                if (rc < 0) throw new OfflineException(OfflineErrorKind.Destination, $"{Path.Combine(parent.Path, parts[i])}: cannot create the directory (errno {-rc})");
                _open.Push((child!, Join(relative, entry.Name)));
                opened++;
                if (!ancestors.Any(a => a.PlainPath == entry.PlainPath)) ancestors.Add(entry);
            }
            walker.Walk([path]);
        }
        finally
        {
            for (; opened > 0; opened--) _open.Pop().Dir.Dispose();
        }
    }

    private void FinishAncestor(TreeEntry ancestor)
    {
        using var resolved = _volume.Resolve(ancestor.PlainPath);
        byte[] relative = System.Text.Encoding.UTF8.GetBytes(ancestor.PlainPath.TrimStart('/'));
        int fd = OpenRelativeDirectory(relative);
        if (fd < 0)
        {
            Incomplete(ancestor.PlainPath, ancestor.Node, $"cannot open the restored directory to set its attributes (errno {-fd})");
            return;
        }
        try { FinishDirectory(fd, ancestor with { Node = resolved.Node }); }
        finally { Native.Close(fd); }
    }

    private unsafe int OpenRelativeDirectory(byte[] relative)
    {
        fixed (byte* p = Stack.NativeString.Z(relative))
            return Native.OpenAt(_root.Fd, p, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
    }

    private static byte[] Join(byte[] parent, byte[] name) => parent.Length == 0 ? name : [.. parent, (byte)'/', .. name];

    private bool Replace => _options.Overwrite;

    // ---- the walk ------------------------------------------------------------------------------------

    public bool EnterDirectory(TreeEntry directory)
    {
        _progress.AddFile();
        if (directory.Node == OfflineVolume.RootNode)
        {
            _directories++;
            return true;
        }
        var (parent, relative) = _open.Peek();
        int rc = parent.OpenSubdirectory(directory.Name, Replace, out var child);
        if (rc < 0)
        {
            Skipped(directory.PlainPath, directory.Node, $"cannot create the directory (errno {-rc}); its contents are skipped");
            return false;
        }
        _open.Push((child!, Join(relative, directory.Name)));
        _directories++;
        return true;
    }

    public void LeaveDirectory(TreeEntry directory)
    {
        if (directory.Node == OfflineVolume.RootNode)
        {
            FinishDirectory(_root.Fd, directory);
            return;
        }
        var (dir, _) = _open.Pop();
        using (dir) FinishDirectory(dir.Fd, directory);
    }

    /// <summary>After a directory's contents: xattrs, owner, mode, then times (which its contents changed).</summary>
    private void FinishDirectory(int fd, TreeEntry directory)
    {
        RestoreXattrs(fd, directory);
        int rc = DestinationDirectory.SetOwnerModeTimes(fd, directory.Attr, _owners);
        if (rc < 0) Incomplete(directory.PlainPath, directory.Node, $"cannot set owner, mode or times (errno {-rc})");
    }

    public void Visit(TreeEntry entry)
    {
        _progress.AddFile();
        var (parent, relative) = _open.Peek();
        byte[] path = Join(relative, entry.Name);
        uint type = entry.Attr.Mode & Native.S_IFMT;
        if (type == Native.S_IFREG) RestoreFile(parent, path, entry);
        else if (type == Native.S_IFLNK) RestoreSymlink(parent, entry);
        else RestoreNode(parent, entry);
    }

    public void Damaged(string plainPath, string? cipherPath, DamageKind kind, string reason)
    {
        string what = kind == DamageKind.DirectoryId
            ? $"the directory id is missing or damaged ({reason}): the names inside cannot be decrypted and are skipped"
            : $"an entry does not decrypt ({reason}); skipped";
        _skipped++;
        Report(new RestoreProblem(plainPath, cipherPath, what, Skipped: true, []));
    }

    // ---- entries -----------------------------------------------------------------------------------

    private void RestoreFile(DestinationDirectory parent, byte[] path, TreeEntry entry)
    {
        var key = (entry.Attr.Dev, entry.Attr.Ino);
        bool linked = entry.Attr.NLink > 1;
        if (linked && _restoredLinks.TryGetValue(key, out byte[]? first))
        {
            int lrc = parent.CreateLink(_root, first, entry.Name, Replace);
            if (lrc == 0)
            {
                _hardLinks++;
                return;
            }
            Skipped(entry.PlainPath, entry.Node, $"cannot create the hard link (errno {-lrc})");
            return;
        }
        if (linked && _failedLinks.TryGetValue(key, out string? failed))
        {
            Skipped(entry.PlainPath, entry.Node, $"a hard link of {failed}, which could not be restored");
            return;
        }

        int fd = parent.CreateFile(entry.Name, Replace);
        if (fd < 0)
        {
            Skipped(entry.PlainPath, entry.Node, $"cannot create the file (errno {-fd})");
            return;
        }
        bool keep = false;
        try
        {
            int mark = _volume.Damage.Count;
            var copy = _copier.Copy(entry.Node, entry.Attr.Size, fd, _options.Salvage);
            if (copy.Errno < 0)
            {
                string reason = Reason(mark, copy.Errno);
                Skipped(entry.PlainPath, entry.Node, copy.Errno == -Errno.EIO
                    ? $"damaged: {reason}; skipped{(_options.Salvage ? " (nothing could be salvaged)" : " (--salvage writes the readable blocks)")}"
                    : $"cannot copy ({reason}); skipped");
                if (linked) _failedLinks[key] = entry.PlainPath;
                return;
            }
            keep = true;
            _files++;
            _bytes += entry.Attr.Size;
            if (copy.BadRanges.Count > 0)
            {
                Report(new RestoreProblem(entry.PlainPath, _volume.CipherPathOf(entry.Node),
                    $"damaged: {Reason(mark, -Errno.EIO)}; salvaged with {string.Join(", ", copy.BadRanges)} zeroed", Skipped: false, copy.BadRanges));
                _incomplete++;
            }
            RestoreXattrs(fd, entry);
            int rc = DestinationDirectory.SetOwnerModeTimes(fd, entry.Attr, _owners);
            if (rc < 0) Incomplete(entry.PlainPath, entry.Node, $"cannot set owner, mode or times (errno {-rc})");
            if (linked) _restoredLinks[key] = path;
        }
        finally
        {
            Native.Close(fd);
            if (!keep) RemovePartial(parent, entry.Name);
        }
    }

    private static unsafe void RemovePartial(DestinationDirectory parent, byte[] name)
    {
        fixed (byte* n = Stack.NativeString.Z(name)) Native.UnlinkAt(parent.Fd, n, 0);
    }

    private void RestoreSymlink(DestinationDirectory parent, TreeEntry entry)
    {
        int mark = _volume.Damage.Count;
        int rc = _volume.ReadLink(entry.Node, out byte[] target);
        if (rc < 0)
        {
            Skipped(entry.PlainPath, entry.Node, $"the link target does not decrypt ({Reason(mark, rc)}); skipped");
            return;
        }
        rc = parent.CreateSymlink(entry.Name, target, Replace);
        if (rc < 0)
        {
            Skipped(entry.PlainPath, entry.Node, $"cannot create the symlink (errno {-rc})");
            return;
        }
        _symlinks++;
        FinishByName(parent, entry);
    }

    private void RestoreNode(DestinationDirectory parent, TreeEntry entry)
    {
        int rc = parent.CreateNode(entry.Name, entry.Attr.Mode, entry.Attr.RDev, Replace);
        if (rc < 0)
        {
            string kind = (entry.Attr.Mode & Native.S_IFMT) is 0x2000 or 0x6000 ? "device node (that needs root)" : "special file";
            Skipped(entry.PlainPath, entry.Node, $"cannot create the {kind} (errno {-rc})");
            return;
        }
        _special++;
        FinishByName(parent, entry);
    }

    /// <summary>Owner, mode and times of an entry that cannot be opened (symlinks, FIFOs, devices); Linux keeps no user xattrs on them.</summary>
    private void FinishByName(DestinationDirectory parent, TreeEntry entry)
    {
        int rc = parent.SetOwnerAndMode(entry.Name, entry.Attr, _owners);
        if (rc == 0) rc = parent.SetTimes(entry.Name, entry.Attr);
        if (rc < 0) Incomplete(entry.PlainPath, entry.Node, $"cannot set owner, mode or times (errno {-rc})");
    }

    private void RestoreXattrs(int fd, TreeEntry entry)
    {
        var xattrs = new List<KeyValuePair<byte[], byte[]>>();
        int mark = _volume.Damage.Count;
        int rc = _volume.ReadXattrs(entry.Node, xattrs);
        var found = _volume.Damage.Since(mark);
        if (rc < 0 || found.Count > 0)
        {
            string what = found.Count > 0 ? string.Join("; ", found.Select(d => $"{d.CipherPath}: {d.Reason}")) : $"errno {-rc}";
            Incomplete(entry.PlainPath, entry.Node, $"an xattr does not decrypt and is left out ({what})");
        }
        foreach (var (name, value) in xattrs)
        {
            int src = DestinationDirectory.SetXattr(fd, name, value);
            if (src < 0)
            {
                Incomplete(entry.PlainPath, entry.Node, $"cannot set xattr {System.Text.Encoding.UTF8.GetString(name)} (errno {-src}; does the destination keep user xattrs?)");
                return;
            }
        }
    }

    // ---- reporting ---------------------------------------------------------------------------------

    /// <summary>The layer's words for what an operation found, or the errno.</summary>
    private string Reason(int mark, int errno)
    {
        var found = _volume.Damage.Since(mark);
        return found.Count > 0 ? string.Join("; ", found.Select(d => d.Reason).Distinct()) : $"errno {-errno}";
    }

    private void Skipped(string plainPath, ulong node, string what)
    {
        _skipped++;
        Report(new RestoreProblem(plainPath, _volume.CipherPathOf(node), what, Skipped: true, []));
    }

    private void Incomplete(string plainPath, ulong node, string what)
    {
        _incomplete++;
        Report(new RestoreProblem(plainPath, _volume.CipherPathOf(node), what, Skipped: false, []));
    }

    private void Report(RestoreProblem problem) => _report(problem);
}
