using System.Text;
using CryptStack.Crypto.Names;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Inspect;

/// <summary>A backing file that belongs to an entry, and what it is for.</summary>
public sealed record CipherFile(string Path, string Role, bool Present);

/// <summary>The ciphertext side of a plaintext path: the entry, its sidecars, and what decrypting it needs.</summary>
public sealed record CipherLocation(string PlainPath, CipherFile Entry, IReadOnlyList<CipherFile> Sidecars, IReadOnlyList<CipherFile> Needed);

/// <summary>The plaintext side of a ciphertext path.</summary>
public sealed record PlainLocation(string CipherPath, string PlainPath, string Role);

/// <summary>
/// `cryptstack path`: which backing files hold a plaintext path, and the other way round. Names are mapped by
/// the encryption layer (through the stack's <c>EncodeName</c> and <c>DecodeName</c>); this class only knows
/// which companion files the format keeps beside an entry. The entry itself need not be present, only its
/// directories: on a partial copy (the config and the cs.dirid files of a cloud backup) this says what to fetch.
/// </summary>
public sealed class CipherPathMap(OfflineVolume volume)
{
    public CipherLocation Forward(string plainPath)
    {
        var parts = PlainPath.Components(plainPath).ToList();
        string root = volume.CipherDir;
        var needed = new List<CipherFile>
        {
            File(Path.Combine(root, BackingNames.ConfigFileName), "volume config (or its .bak, or a config backup)"),
        };
        if (parts.Count == 0)
        {
            var dirId = File(Path.Combine(root, BackingNames.DirIdFileName), "directory id");
            return new CipherLocation("/", new CipherFile(root, "the volume root", true), [dirId], needed);
        }
        string parentPath = "/" + string.Join('/', parts.Take(parts.Count - 1));
        using var parent = volume.Resolve(parentPath);
        if (!parent.IsDirectory) throw new OfflineException(OfflineErrorKind.NoSuchPath, $"{parent.PlainPath} is not a directory");
        // Every directory from the root to the parent: its id names what is inside it.
        string dirCipher = root;
        needed.Add(File(Path.Combine(root, BackingNames.DirIdFileName), "directory id of /"));
        string parentCipher = volume.CipherPathOf(parent.Node);
        foreach (string relative in Ancestors(root, parentCipher))
        {
            dirCipher = relative;
            needed.Add(File(Path.Combine(dirCipher, BackingNames.DirIdFileName), "directory id"));
        }

        byte[] name = Encoding.UTF8.GetBytes(parts[^1]);
        var lower = volume.Stack.EncodeName(parent.Node, name);
        string lowerName = Encoding.ASCII.GetString(lower.Name);
        string entryPath = Path.Combine(parentCipher, lowerName);
        var sidecars = new List<CipherFile>();
        if (lower.LongForm != null) sidecars.Add(File(entryPath + BackingNames.LongNameSidecarSuffix, "long-name sidecar (the encrypted name)"));

        int rc = volume.Stack.Lookup(parent.Node, name, out var found);
        bool present = rc == 0 && found.Ino != 0;
        string plain = PlainPath.Join(parent.PlainPath, parts[^1]);
        if (present)
        {
            try
            {
                if (Native.IsDirectory(found.Attr.Mode)) sidecars.Add(File(Path.Combine(entryPath, BackingNames.DirIdFileName), "directory id"));
                string link = LinkTargetCodec.SidecarNameFor(lowerName);
                if (Native.IsSymlink(found.Attr.Mode) && System.IO.File.Exists(Path.Combine(parentCipher, link)))
                    sidecars.Add(File(Path.Combine(parentCipher, link), "link-target sidecar (the encrypted target)"));
            }
            finally { volume.Stack.Forget(found.Ino, 1); }
        }
        else
        {
            sidecars.Add(new CipherFile(Path.Combine(parentCipher, LinkTargetCodec.SidecarNameFor(lowerName)),
                "link-target sidecar, if it is a symlink with a long target", false));
        }
        return new CipherLocation(plain, new CipherFile(entryPath, present ? "entry" : "entry (not present in this copy)", present), sidecars, needed);
    }

    /// <summary>Absolute backing paths of the directories strictly below <paramref name="root"/> down to <paramref name="directory"/>.</summary>
    private static IEnumerable<string> Ancestors(string root, string directory)
    {
        string relative = Path.GetRelativePath(root, directory);
        if (relative == ".") yield break;
        string at = root;
        foreach (string part in relative.Split('/'))
        {
            at = Path.Combine(at, part);
            yield return at;
        }
    }

    private static CipherFile File(string path, string role) => new(path, role, System.IO.File.Exists(path) || Directory.Exists(path));

    public PlainLocation Reverse(string cipherPath)
    {
        // A path that exists from here (inside CIPHERDIR) is taken as it is; otherwise it is relative to CIPHERDIR
        // (as a cloud backup's listing shows it).
        string here = Path.GetFullPath(cipherPath);
        string full = Path.Exists(here) && IsInside(here) ? here : Path.GetFullPath(cipherPath, volume.CipherDir);
        string relative = Path.GetRelativePath(volume.CipherDir, full);
        if (relative == ".") return new PlainLocation(full, "/", "the volume root");
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal))
            throw new OfflineException(OfflineErrorKind.InvalidPath, $"{cipherPath}: not inside {volume.CipherDir}");
        string[] parts = relative.Split('/');
        ulong node = OfflineVolume.RootNode;
        var held = new List<ulong>();
        string plain = "/";
        try
        {
            for (int i = 0; i < parts.Length - 1; i++)
            {
                byte[] upper = Decode(node, parts[i], plain);
                int rc = volume.Stack.Lookup(node, upper, out var entry);
                if (rc < 0 || entry.Ino == 0)
                    throw new OfflineException(OfflineErrorKind.NoSuchPath, $"{cipherPath}: {parts[i]} is not in this copy");
                held.Add(entry.Ino);
                node = entry.Ino;
                plain = PlainPath.Join(plain, Encoding.UTF8.GetString(upper));
                if (!Native.IsDirectory(entry.Attr.Mode))
                    throw new OfflineException(OfflineErrorKind.NoSuchPath, $"{cipherPath}: {plain} is not a directory");
            }
            return Name(node, parts[^1], plain, full, parts.Length == 1);
        }
        finally
        {
            for (int i = held.Count - 1; i >= 0; i--) volume.Stack.Forget(held[i], 1);
        }
    }

    private bool IsInside(string path)
    {
        string relative = Path.GetRelativePath(volume.CipherDir, path);
        return relative == "." || (relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    private PlainLocation Name(ulong dir, string name, string dirPlain, string full, bool inRoot)
    {
        if (name == BackingNames.DirIdFileName) return new PlainLocation(full, dirPlain, "directory id");
        if (inRoot && name.StartsWith(BackingNames.ConfigFileName, StringComparison.Ordinal)) return new PlainLocation(full, "/", "volume config");
        foreach (var (suffix, role) in new[] { (BackingNames.LongNameSidecarSuffix, "long-name sidecar"), (BackingNames.LinkSidecarSuffix, "link-target sidecar") })
        {
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string owner = name[..^suffix.Length];
            if (BackingNames.Classify(owner, inRoot) is BackingNameKind.EncodedName or BackingNameKind.LongName)
                return new PlainLocation(full, PlainPath.Join(dirPlain, Encoding.UTF8.GetString(Decode(dir, owner, dirPlain))), role);
        }
        if (inRoot && name == Volume.RecoveryRecord.FileName) return new PlainLocation(full, "/", "recovery record");
        if (BackingNames.Classify(name, inRoot) == BackingNameKind.Reserved)
            return new PlainLocation(full, dirPlain, "a file CryptStack keeps for itself (reserved name)");
        return new PlainLocation(full, PlainPath.Join(dirPlain, Encoding.UTF8.GetString(Decode(dir, name, dirPlain))), "entry");
    }

    private byte[] Decode(ulong dir, string lowerName, string dirPlain)
    {
        int mark = volume.Damage.Count;
        byte[]? upper = volume.Stack.DecodeName(dir, Encoding.UTF8.GetBytes(lowerName));
        if (upper != null) return upper;
        var found = volume.Damage.Since(mark);
        string why = found.Count > 0 ? found[0].Reason : "not a name CryptStack writes";
        throw new OfflineException(OfflineErrorKind.Damaged, $"{lowerName} in {dirPlain}: does not decrypt ({why})");
    }
}
