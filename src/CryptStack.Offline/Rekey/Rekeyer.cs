using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Crypto;
using CryptStack.Crypto.Content;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Names;
using CryptStack.Offline.Check;
using CryptStack.Volume;

namespace CryptStack.Offline.Rekey;

/// <summary>What a rekey pass did, and what it could not do (damaged items stay under the previous key, named by backing path).</summary>
public sealed record RekeySummary(long Headers, long Names, long LinkTargets, long Xattrs, long AlreadyDone, IReadOnlyList<string> Skipped);

/// <summary>
/// The file side of `cryptstack rekey` (format.md section 4.2): one walk of the backing tree that moves every item from
/// the previous master key to the new one: each file header rewrapped in place (84 bytes, same file key and id, so no
/// block changes), each name re-encrypted (a rename; a long name's new sidecar written and synced first), each symlink
/// target re-encrypted (a new symlink renamed into place), each xattr re-encrypted (the new one set before the old one
/// is removed). Every step is idempotent and every item is readable under one of the two keys at every moment, so a
/// crash anywhere leaves a volume that reads, and running the pass again finishes it. Directory ids do not change
/// (they are random, not derived from the master key).
/// </summary>
public sealed partial class Rekeyer : IDisposable
{
    private readonly Codecs _new, _old;
    private readonly WorkProgress _progress;
    private readonly List<string> _skipped = [];
    private long _headers, _names, _links, _xattrs, _already;

    private sealed class Codecs(KeyHierarchy keys) : IDisposable
    {
        public SecretKey Header { get; } = keys.DeriveContentHeaderKey();
        public NameCodec Names { get; } = NameCodec.FromKeys(keys);
        public LinkTargetCodec Links { get; } = LinkTargetCodec.FromKeys(keys);
        public XattrCodec Xattrs { get; } = XattrCodec.FromKeys(keys);

        public void Dispose()
        {
            Header.Dispose();
            Names.Dispose();
            Links.Dispose();
            Xattrs.Dispose();
        }
    }

    public Rekeyer(UnlockedVolume volume, WorkProgress progress)
    {
        _new = new Codecs(volume.Keys);
        _old = new Codecs(volume.PreviousKeys ?? throw new InvalidOperationException("no rekey is in progress"));
        _progress = progress;
    }

    public RekeySummary Run(string cipherRoot)
    {
        Directory(cipherRoot, isRoot: true);
        Xattrs(cipherRoot);
        SyncFs(cipherRoot);
        return new RekeySummary(_headers, _names, _links, _xattrs, _already, _skipped);
    }

    private void Skip(string path, string why) => _skipped.Add($"{path}: {why}");

    private void Directory(string dir, bool isRoot)
    {
        byte[]? dirId = ReadDirId(dir);
        if (dirId == null)
        {
            Skip(Path.Combine(dir, BackingNames.DirIdFileName), "the directory id is missing or damaged: names inside stay as they are (run fsck)");
            return;
        }
        // Renames inside a directory change its mtime; the user's mtime comes back when the directory is done.
        var times = TimesOf(dir);
        long renamedBefore = _names;
        var names = System.IO.Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        foreach (string? name in names)
        {
            var kind = BackingNames.Classify(name!, isRoot);
            if (kind is not (BackingNameKind.EncodedName or BackingNameKind.LongName)) continue;
            string path = Path.Combine(dir, name!);
            if (BackingDirectory.LStat(path).Type == BackingEntryType.Missing) continue;
            string? encoded = kind == BackingNameKind.EncodedName ? name : LongEncoded(path);
            if (encoded == null) { Skip(path, "long name without a readable sidecar"); continue; }
            byte[]? plain = TryName(_new, encoded, dirId);
            bool nameIsNew = plain != null;
            plain ??= TryName(_old, encoded, dirId);
            if (plain == null) { Skip(path, "the name decrypts under neither key"); continue; }

            var (type, _) = BackingDirectory.LStat(path);
            switch (type)
            {
                case BackingEntryType.File:
                    Header(path);
                    Xattrs(path);
                    break;
                case BackingEntryType.Directory:
                    Xattrs(path);
                    Directory(path, isRoot: false);
                    break;
            }
            if (type == BackingEntryType.Symlink) Symlink(dir, name!, plain, nameIsNew, dirId);
            else if (!nameIsNew) Rename(dir, name!, plain, dirId);
            else _already++;
            _progress.AddFile();
        }
        CleanUp(dir, dirId, isRoot);
        if (_names != renamedBefore && times is { } t) SetTimes(dir, t);
    }

    private static byte[]? ReadDirId(string dir)
    {
        try
        {
            byte[] id = File.ReadAllBytes(Path.Combine(dir, BackingNames.DirIdFileName));
            return id.Length == DirectoryId.Size ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? LongEncoded(string path)
    {
        try { return BackingNames.EncodedNameFromSidecar(Path.GetFileName(path), File.ReadAllBytes(path + BackingNames.LongNameSidecarSuffix)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CiphertextFormatException) { return null; }
    }

    private static byte[]? TryName(Codecs codecs, string encoded, byte[] dirId)
    {
        try { return codecs.Names.Decrypt(encoded, dirId); }
        catch (CiphertextFormatException) { return null; }
    }

    /// <summary>The header rewrapped in place: one 84-byte write inside the first sector, so a kill never tears it.</summary>
    private void Header(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        Span<byte> header = stackalloc byte[ContentLayout.HeaderSize];
        if (RandomAccess.Read(handle, header, 0) < ContentLayout.HeaderSize) return;
        Span<byte> fileId = stackalloc byte[ContentHeader.FileIdSize];
        try
        {
            ContentHeader.Open(header, _new.Header, fileId).Dispose();
            return;
        }
        catch (ContentHeaderException) { }
        Span<byte> rewrapped = stackalloc byte[ContentLayout.HeaderSize];
        try { ContentHeader.Rewrap(header, _old.Header, _new.Header, rewrapped); }
        catch (ContentHeaderException e)
        {
            Skip(path, $"the header opens under neither key ({e.Message})");
            return;
        }
        // The write changes the file's mtime; the user's mtime and atime come back with it.
        var times = TimesOf(path);
        RandomAccess.Write(handle, rewrapped, 0);
        if (times is { } t) SetTimes(path, t);
        _headers++;
        RekeySteps.Step();
    }

    /// <summary>Each user.cs.* xattr still under the previous key: the new one set, then the old one removed.</summary>
    private void Xattrs(string path)
    {
        foreach (string stored in XattrNames(path))
        {
            if (!XattrCodec.IsEncryptedName(stored)) continue;
            try
            {
                _new.Xattrs.DecryptName(stored);
                continue;
            }
            catch (CiphertextFormatException) { }
            byte[] plainName, plainValue;
            try
            {
                plainName = _old.Xattrs.DecryptName(stored);
                byte[]? value = GetXattr(path, stored);
                if (value == null) continue;
                plainValue = _old.Xattrs.DecryptValue(value, stored);
            }
            catch (CiphertextFormatException e)
            {
                Skip(path, $"xattr {stored} decrypts under neither key ({e.Message})");
                continue;
            }
            string newName = _new.Xattrs.EncryptName(plainName);
            SetXattr(path, newName, _new.Xattrs.EncryptValue(plainValue, newName));
            RemoveXattr(path, stored);
            _xattrs++;
            RekeySteps.Step();
        }
    }

    /// <summary>A file or directory under its name from the new key: the new long-name sidecar first (synced), then the rename.</summary>
    private void Rename(string dir, string name, byte[] plain, byte[] dirId)
    {
        var (newName, sidecar) = NewName(plain, dirId);
        string from = Path.Combine(dir, name), to = Path.Combine(dir, newName);
        if (BackingDirectory.LStat(to).Type != BackingEntryType.Missing)
        {
            Skip(from, $"its new name {newName} is taken");
            return;
        }
        if (sidecar != null) WriteSynced(to + BackingNames.LongNameSidecarSuffix, sidecar);
        RenameNoReplace(from, to);
        if (BackingNames.IsLongName(name)) TryDelete(from + BackingNames.LongNameSidecarSuffix);
        _names++;
        RekeySteps.Step();
    }

    private (string Name, byte[]? Sidecar) NewName(byte[] plain, byte[] dirId)
    {
        string encoded = _new.Names.Encrypt(plain, dirId);
        string backing = BackingNames.BackingNameFor(encoded);
        return (backing, backing == encoded ? null : BackingNames.SidecarContentFor(encoded));
    }

    /// <summary>
    /// A symlink gets its new name and new target in one step: its new sidecars, then a new symlink renamed into place
    /// under the new name, then the old entry and its sidecars removed. In between both exist and both read the same.
    /// </summary>
    private void Symlink(string dir, string name, byte[] plainName, bool nameIsNew, byte[] dirId)
    {
        string path = Path.Combine(dir, name);
        string? stored = new FileInfo(path).LinkTarget;
        if (stored == null) return;
        string? encoded = stored;
        if (LinkTargetCodec.IsIndirectTarget(stored))
        {
            try { encoded = LinkTargetCodec.EncodedFromSidecar(stored, File.ReadAllBytes(path + BackingNames.LinkSidecarSuffix)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CiphertextFormatException) { encoded = null; }
        }
        byte[]? target = null;
        bool targetIsNew = false;
        if (encoded != null)
        {
            try { target = _new.Links.Decrypt(encoded); targetIsNew = true; }
            catch (CiphertextFormatException)
            {
                try { target = _old.Links.Decrypt(encoded); }
                catch (CiphertextFormatException) { }
            }
        }
        if (target == null)
        {
            // The target cannot be moved to the new key; the name still can.
            Skip(path, "the symlink target decrypts under neither key");
            if (!nameIsNew) Rename(dir, name, plainName, dirId);
            return;
        }
        if (nameIsNew && targetIsNew)
        {
            _already++;
            return;
        }
        var (newName, nameSidecar) = nameIsNew ? (name, null) : NewName(plainName, dirId);
        string to = Path.Combine(dir, newName);
        if (!nameIsNew && BackingDirectory.LStat(to).Type == BackingEntryType.Symlink)
        {
            // An earlier run was stopped after the new symlink was in place: only the old one is left to remove.
            RemoveOld(path, name);
            return;
        }
        string newEncoded = targetIsNew ? encoded! : _new.Links.Encrypt(target);
        string newStored = LinkTargetCodec.BackingTargetFor(newEncoded);
        if (nameSidecar != null) WriteSynced(to + BackingNames.LongNameSidecarSuffix, nameSidecar);
        if (LinkTargetCodec.NeedsSidecar(newEncoded)) WriteSynced(to + BackingNames.LinkSidecarSuffix, LinkTargetCodec.SidecarContentFor(newEncoded));
        string temp = Path.Combine(dir, TempSymlinkName);
        TryDelete(temp);
        File.CreateSymbolicLink(temp, newStored);
        CopyOwnerAndTimes(path, temp);
        if (nameIsNew) RenameReplace(temp, to);
        else
        {
            RenameNoReplace(temp, to);
            RemoveOld(path, name);
            _names++;
        }
        _links++;
        RekeySteps.Step();
    }

    /// <summary>The temporary symlink of a rekey step, reserved (cs.*) so nothing shows it; removed by the next run if left.</summary>
    public const string TempSymlinkName = "cs.rekey.tmp";

    private static void RemoveOld(string path, string name)
    {
        File.Delete(path);
        TryDelete(path + BackingNames.LinkSidecarSuffix);
        if (BackingNames.IsLongName(name)) TryDelete(path + BackingNames.LongNameSidecarSuffix);
    }

    /// <summary>Sidecars a stopped run left behind: a .name or .lnk whose entry is gone and whose content is one of ours, and the temporary symlink.</summary>
    private void CleanUp(string dir, byte[] dirId, bool isRoot)
    {
        TryDelete(Path.Combine(dir, TempSymlinkName));
        foreach (string path in System.IO.Directory.EnumerateFiles(dir))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(BackingNames.LongNameSidecarSuffix, StringComparison.Ordinal))
            {
                string owner = name[..^BackingNames.LongNameSidecarSuffix.Length];
                if (!BackingNames.IsLongName(owner) || BackingDirectory.LStat(Path.Combine(dir, owner)).Type != BackingEntryType.Missing) continue;
                string? encoded = LongEncoded(Path.Combine(dir, owner));
                if (encoded != null && (TryName(_new, encoded, dirId) ?? TryName(_old, encoded, dirId)) != null) TryDelete(path);
            }
            else if (name.EndsWith(BackingNames.LinkSidecarSuffix, StringComparison.Ordinal))
            {
                string owner = name[..^BackingNames.LinkSidecarSuffix.Length];
                if (BackingNames.Classify(owner, isRoot) is not (BackingNameKind.EncodedName or BackingNameKind.LongName)) continue;
                if (BackingDirectory.LStat(Path.Combine(dir, owner)).Type != BackingEntryType.Missing) continue;
                TryDelete(path);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void WriteSynced(string path, byte[] content)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        _new.Dispose();
        _old.Dispose();
    }
}
