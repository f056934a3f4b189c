using System.Text;
using CryptStack.Crypto.Names;
using CryptStack.Encryption;

namespace CryptStack.Offline.Check;

/// <summary>
/// Names and directory ids (format.md section 5): every directory has a 16-byte cs.dirid; every name decrypts under
/// its directory's id (a long name through a sidecar whose hash matches). A name that does not decrypt is tried under
/// every other directory id of the volume, to tell an entry moved between directories in the ciphertext from one that
/// is damaged or foreign.
/// </summary>
public sealed partial class NameCheck : IVolumeCheck
{
    public const string AreaName = "names";
    public string Area => AreaName;

    private sealed record Undecryptable(string DirectoryPlain, string CipherPath, string Reason);

    /// <summary>A reported name that does not decrypt, with the plaintext name it has under another directory's id (if any).</summary>
    private sealed record Stranded(CheckProblem Problem, string CipherPath, byte[]? KnownName, bool Foreign);
    private readonly List<Stranded> _stranded = [];
    private readonly List<Undecryptable> _names = [];

    /// <summary>Directories whose cs.dirid is missing or damaged: plaintext path (null if unknown) and backing path.</summary>
    private readonly List<(string? PlainPath, string CipherPath)> _lostIds = [];

    public void Directory(CheckContext context, BackingDirectory directory)
    {
        // A reachable directory's id is checked by the layer when it is listed; below an undecryptable name, here.
        if (directory.PlainPath != null || VolumeChecker.DirectoryIdOf(directory) != null) return;
        string idPath = directory.PathOf(BackingNames.DirIdFileName);
        var entry = directory.Find(BackingNames.DirIdFileName);
        string why = entry == null ? "missing" : entry.Type != BackingEntryType.File ? "not a regular file" : $"{entry.Size} bytes, not {DirectoryId.Size} (format version 1) or {DirectoryIdCodec.SealedSize} (version 2)";
        context.Report(AreaName, null, idPath, DirectoryIdMessage(why, directory));
        _lostIds.Add((null, directory.CipherPath));
    }

    public bool Damaged(CheckContext context, string plainPath, string? cipherPath, DamageKind kind, string reason)
    {
        if (kind == DamageKind.DirectoryId)
        {
            string idPath = cipherPath ?? context.CipherDir;
            string dirCipher = Path.GetDirectoryName(idPath)!;
            BackingDirectory raw;
            try { raw = BackingDirectory.Read(dirCipher, plainPath, dirCipher == context.CipherDir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { raw = new BackingDirectory(dirCipher, plainPath, false, []); }
            if (!context.Findings.Has(idPath, AreaName)) _lostIds.Add((plainPath, dirCipher));
            context.Report(AreaName, plainPath, idPath, DirectoryIdMessage(reason, raw));
            return true;
        }
        if (kind != DamageKind.Name || cipherPath == null) return false;
        _names.Add(new Undecryptable(plainPath, cipherPath, reason));
        return true;
    }

    private static string DirectoryIdMessage(string why, BackingDirectory directory)
    {
        int n = directory.NamedEntries.Count();
        return $"the directory id (cs.dirid) is missing or damaged ({why}): {n} {(n == 1 ? "entry" : "entries")} inside cannot be decrypted" +
               (n > 0 ? " (their contents are intact; restore cs.dirid from a backup)" : "");
    }

    public void Finish(CheckContext context)
    {
        using var names = NameCodec.FromKeys(context.Volume.Unlocked.Keys);
        foreach (var name in _names)
        {
            string backingName = Path.GetFileName(name.CipherPath);
            string dirCipher = Path.GetDirectoryName(name.CipherPath)!;
            string what = Explain(context, names, name, backingName, dirCipher, out var movedFrom);
            var (type, _) = BackingDirectory.LStat(name.CipherPath);
            if (type == BackingEntryType.Directory)
            {
                long below = CountBelow(name.CipherPath);
                what += $"; it is a directory: the {below} {(below == 1 ? "entry" : "entries")} below it cannot be reached";
            }
            var problem = context.Report(AreaName, null, name.CipherPath, $"an entry of {name.DirectoryPlain}: {what}");
            _stranded.Add(new Stranded(problem, name.CipherPath, movedFrom?.Name,
                BackingNames.Classify(backingName, dirCipher == context.CipherDir) == BackingNameKind.Foreign));
        }
        if (context.Repair) Repair(context, names);
    }

    /// <summary>What is wrong with a name that did not decrypt, in words; <paramref name="movedFrom"/>: the directory whose id it decrypts under.</summary>
    private static string Explain(CheckContext context, NameCodec names, Undecryptable name, string backingName, string dirCipher, out (string? Plain, byte[] Name)? movedFrom)
    {
        movedFrom = null;
        bool isRoot = dirCipher == context.CipherDir;
        var kind = BackingNames.Classify(backingName, isRoot);
        if (kind == BackingNameKind.Foreign)
            return "not a name CryptStack writes (a file another program put here, such as a sync tool's conflict copy); the mount hides it";
        string? encoded = kind == BackingNameKind.EncodedName ? backingName : SidecarEncoded(name.CipherPath);
        if (encoded == null) return $"the name does not decrypt ({name.Reason})";
        foreach (var (hex, (plain, cipher)) in context.DirectoryIds)
        {
            if (cipher == dirCipher) continue;
            byte[]? decrypted = TryDecrypt(names, encoded, Convert.FromHexString(hex));
            if (decrypted == null) continue;
            movedFrom = (plain, decrypted);
            return $"its name decrypts as \"{Encoding.UTF8.GetString(decrypted)}\" under the directory id of {plain ?? cipher}, not of this directory: " +
                   "it was moved here in the ciphertext (or that directory's cs.dirid was copied)";
        }
        return $"the name does not decrypt under this directory's id, nor under any other directory id of the volume ({name.Reason})";
    }

    private static string? SidecarEncoded(string longNamePath)
    {
        try
        {
            byte[] content = File.ReadAllBytes(longNamePath + BackingNames.LongNameSidecarSuffix);
            return BackingNames.EncodedNameFromSidecar(Path.GetFileName(longNamePath), content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CiphertextFormatException) { return null; }
    }

    private static byte[]? TryDecrypt(NameCodec names, string encoded, byte[] dirId)
    {
        try { return names.Decrypt(encoded, dirId); }
        catch (CiphertextFormatException) { return null; }
    }

    private static long CountBelow(string directory)
    {
        try
        {
            return System.IO.Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .LongCount(p => BackingNames.Classify(Path.GetFileName(p), false) is BackingNameKind.EncodedName or BackingNameKind.LongName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    partial void Repair(CheckContext context, NameCodec names);
}
