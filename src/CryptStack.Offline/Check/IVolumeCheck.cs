using CryptStack.Crypto.Names;
using CryptStack.Encryption;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Check;

/// <summary>A backing entry as fsck sees it before any decryption: its name, type and size (lstat).</summary>
public sealed record BackingEntry(string Name, BackingEntryType Type, long Size)
{
    public bool IsDirectory => Type == BackingEntryType.Directory;
}

public enum BackingEntryType
{
    File,
    Directory,
    Symlink,
    Other,
    /// <summary>Nothing there (lstat failed).</summary>
    Missing,
}

/// <summary>
/// One backing directory, listed raw. <see cref="PlainPath"/> is null for a directory fsck reached only in the
/// backing tree (below a name that does not decrypt): nothing inside it has a plaintext path.
/// </summary>
public sealed class BackingDirectory(string cipherPath, string? plainPath, bool isRoot, IReadOnlyList<BackingEntry> entries)
{
    public string CipherPath { get; } = cipherPath;
    public string? PlainPath { get; } = plainPath;
    public bool IsRoot { get; } = isRoot;
    public IReadOnlyList<BackingEntry> Entries { get; } = entries;

    private Dictionary<string, BackingEntry>? _byName;

    public BackingEntry? Find(string name)
    {
        _byName ??= Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        return _byName.GetValueOrDefault(name);
    }

    public string PathOf(string name) => Path.Combine(CipherPath, name);

    /// <summary>Entries that stand for a plaintext entry (encrypted names and long names), not CryptStack's own files.</summary>
    public IEnumerable<BackingEntry> NamedEntries =>
        Entries.Where(e => BackingNames.Classify(e.Name, IsRoot) is BackingNameKind.EncodedName or BackingNameKind.LongName);

    public static BackingDirectory Read(string cipherPath, string? plainPath, bool isRoot)
    {
        var entries = new List<BackingEntry>();
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(cipherPath))
        {
            string name = Path.GetFileName(path);
            var (type, size) = LStat(path);
            entries.Add(new BackingEntry(name, type, size));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new BackingDirectory(cipherPath, plainPath, isRoot, entries);
    }

    /// <summary>Type and size of a backing path, without following a symlink.</summary>
    public static unsafe (BackingEntryType Type, long Size) LStat(string path)
    {
        int rc;
        CryptStack.Fuse.Stat st;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
            rc = Native.FStatAt(Native.AT_FDCWD, p, out st);
        if (rc < 0) return (BackingEntryType.Missing, 0);
        var type = Native.IsDirectory(st.Mode) ? BackingEntryType.Directory
            : Native.IsSymlink(st.Mode) ? BackingEntryType.Symlink
            : Native.IsRegular(st.Mode) ? BackingEntryType.File
            : BackingEntryType.Other;
        return (type, (long)st.Size);
    }
}

/// <summary>
/// One checker of fsck, for one feature of the format (content, names and directory ids, link targets, xattrs, stray
/// files; a later format adds its own). The runner walks the volume once and calls every checker that
/// <see cref="AppliesTo"/> the volume: with each raw backing directory, with each plaintext entry it reaches, with each
/// name or directory id the encryption layer could not decrypt, and at the end.
/// </summary>
public interface IVolumeCheck
{
    /// <summary>Short name of what it checks, used as the finding's area ("content", "names", ...).</summary>
    string Area { get; }

    /// <summary>False for a volume whose format or features this checker does not concern.</summary>
    bool AppliesTo(CheckContext context) => true;

    /// <summary>A backing directory, listed raw, before its plaintext entries.</summary>
    void Directory(CheckContext context, BackingDirectory directory) { }

    /// <summary>A plaintext entry the walk reached (directories too), with its backing path.</summary>
    void Entry(CheckContext context, TreeEntry entry, string cipherPath) { }

    /// <summary>A name or directory id the layer could not decrypt; true when this checker reports it.</summary>
    bool Damaged(CheckContext context, string plainPath, string? cipherPath, DamageKind kind, string reason) => false;

    /// <summary>After the walk: what needs the whole volume (orphans, entries moved between directories), and repairs.</summary>
    void Finish(CheckContext context) { }
}
