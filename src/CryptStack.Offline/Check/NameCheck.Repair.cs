using System.Text;
using CryptStack.Crypto.Names;

namespace CryptStack.Offline.Check;

/// <summary>
/// What --repair does about names, never deleting anything:
/// a lost cs.dirid is recreated when the entries prove which id it was (every entry's name authenticates under a
/// candidate: another directory's id, or a 16-byte copy beside it such as a sync tool's conflict copy of cs.dirid),
/// or with a new id when the directory has no entries to lose; entries whose names do not decrypt (and those of a
/// directory whose id cannot be proven) are moved to /lost+found, named by their backing name (or, for an entry moved
/// between directories, by the name it decrypts to), where their contents, link targets and xattrs read again.
/// </summary>
public sealed partial class NameCheck
{
    public const string LostAndFound = "lost+found";

    private ulong _lostAndFound;

    partial void Repair(CheckContext context, NameCodec names)
    {
        foreach (var (plain, cipher) in _lostIds) RepairDirectoryId(context, names, plain, cipher);
        foreach (var stranded in _stranded)
        {
            if (!Path.Exists(stranded.CipherPath)) continue;
            string? where = MoveToLostAndFound(context, stranded.CipherPath, stranded.KnownName);
            if (where != null) context.Findings.MarkRepaired(stranded.Problem, $"moved to {where}");
        }
    }

    private void RepairDirectoryId(CheckContext context, NameCodec names, string? plain, string cipher)
    {
        string idPath = Path.Combine(cipher, BackingNames.DirIdFileName);
        var problem = context.Findings.All.FirstOrDefault(p => p.CipherPath == idPath && p.Area == AreaName);
        if (problem == null || Path.Exists(idPath) && BackingDirectory.LStat(idPath).Type != BackingEntryType.File) return;
        var directory = BackingDirectory.Read(cipher, plain, cipher == context.CipherDir);
        var encoded = directory.NamedEntries.Select(e => BackingNames.IsLongName(e.Name) ? SidecarEncoded(directory.PathOf(e.Name)) : e.Name).ToList();
        byte[]? id = null;
        string how;
        if (encoded.Count == 0)
        {
            id = DirectoryId.New();
            how = "a new directory id written (the directory has no entries whose names it could decrypt)";
        }
        else
        {
            var candidates = context.DirectoryIds.Keys.Select(Convert.FromHexString).Concat(CopiesBeside(directory));
            id = candidates.FirstOrDefault(c => encoded.All(e => e != null && TryDecrypt(names, e, c) != null));
            how = $"cs.dirid rewritten with the id under which all {encoded.Count} names decrypt";
        }
        if (id == null)
        {
            // No proof: the entries go to lost+found (by their backing names, which keep the encrypted names for a
            // cs.dirid restored from a backup), and the directory gets a new id.
            int moved = 0;
            foreach (var entry in directory.NamedEntries.ToList())
                if (MoveToLostAndFound(context, directory.PathOf(entry.Name), null) != null) moved++;
            if (moved < encoded.Count) return;
            id = DirectoryId.New();
            how = $"no id decrypts its names: its {moved} entries moved to /{LostAndFound} (named by their backing names) and a new id written";
        }
        if (Path.Exists(idPath)) File.Move(idPath, idPath + ".damaged");
        WriteNew(idPath, SealForPlace(context, cipher, id));
        context.Findings.MarkRepaired(problem, how);
    }

    /// <summary>
    /// The cs.dirid content for <paramref name="id"/> in the directory <paramref name="cipher"/>: the bare id in a format
    /// version 1 volume, the id bound to its place (parent's id and backing name, docs/format.md 5.1) in version 2.
    /// </summary>
    private static byte[] SealForPlace(CheckContext context, string cipher, byte[] id)
    {
        if (!Volume.VolumeFormat.Of(context.Config).BindsDirectoryIds) return id;
        using var dirIds = DirectoryIdCodec.FromKeys(context.Volume.Unlocked.Keys);
        if (cipher == context.CipherDir) return dirIds.Seal(id, default, default);
        string parent = Path.GetDirectoryName(cipher)!;
        byte[]? parentId = VolumeChecker.DirectoryIdOf(BackingDirectory.Read(parent, null, parent == context.CipherDir));
        // A parent without a readable id cannot vouch for its child: the bare id is refused at load, as before.
        return parentId == null ? id : dirIds.Seal(id, parentId, Encoding.Latin1.GetBytes(Path.GetFileName(cipher)));
    }

    /// <summary>16-byte regular files beside a lost cs.dirid whose name says they are copies of it ("cs.dirid (1)", "cs.dirid.sync-conflict-…").</summary>
    private static IEnumerable<byte[]> CopiesBeside(BackingDirectory directory)
    {
        foreach (var entry in directory.Entries)
        {
            if (entry.Name == BackingNames.DirIdFileName || !entry.Name.StartsWith(BackingNames.DirIdFileName, StringComparison.Ordinal)) continue;
            if (entry is not { Type: BackingEntryType.File, Size: DirectoryId.Size or DirectoryIdCodec.SealedSize }) continue;
            yield return File.ReadAllBytes(directory.PathOf(entry.Name))[..DirectoryId.Size];
        }
    }

    /// <summary>Moves a backing entry (with its link-target sidecar) into /lost+found under a name that decrypts there; its plaintext path, or null.</summary>
    private string? MoveToLostAndFound(CheckContext context, string cipherPath, byte[]? knownName)
    {
        var stack = context.Volume.Stack;
        if (_lostAndFound == 0)
        {
            int rc = stack.Lookup(OfflineVolume.RootNode, Encoding.UTF8.GetBytes(LostAndFound), out var found);
            if (rc == 0 && found.Ino == 0) rc = stack.MkDir(OfflineVolume.RootNode, Encoding.UTF8.GetBytes(LostAndFound), 0x1C0, out found);
            if (rc < 0 || found.Ino == 0) return null;
            _lostAndFound = found.Ino;
        }
        string lostCipher = context.Volume.CipherPathOf(_lostAndFound);
        string baseName = knownName != null ? Encoding.UTF8.GetString(knownName) : Path.GetFileName(cipherPath);
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            string name = attempt == 0 ? baseName : $"{baseName}.{attempt}";
            byte[] plain = Encoding.UTF8.GetBytes(name);
            if (plain.Length > NameCodec.MaxPlainNameBytes) continue;
            if (stack.Lookup(_lostAndFound, plain, out var existing) == 0 && existing.Ino != 0)
            {
                stack.Forget(existing.Ino, 1);
                continue;
            }
            var lower = stack.EncodeName(_lostAndFound, plain);
            string target = Path.Combine(lostCipher, Encoding.ASCII.GetString(lower.Name));
            if (Path.Exists(target)) continue;
            if (lower.LongForm != null) WriteNew(target + BackingNames.LongNameSidecarSuffix, lower.LongForm);
            string linkSidecar = cipherPath + BackingNames.LinkSidecarSuffix;
            bool symlink = BackingDirectory.LStat(cipherPath).Type == BackingEntryType.Symlink;
            if (symlink && File.Exists(linkSidecar)) File.Move(linkSidecar, target + BackingNames.LinkSidecarSuffix);
            if (BackingDirectory.LStat(cipherPath).Type == BackingEntryType.Directory) System.IO.Directory.Move(cipherPath, target);
            else File.Move(cipherPath, target);
            return $"/{LostAndFound}/{name}";
        }
        return null;
    }

    private static void WriteNew(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        using var stream = new FileStream(path, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
