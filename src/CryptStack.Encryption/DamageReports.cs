namespace CryptStack.Encryption;

/// <summary>What part of the ciphertext failed to decrypt or authenticate.</summary>
public enum DamageKind
{
    /// <summary>A file's header or one of its blocks (the mount answers EIO).</summary>
    FileContent,
    /// <summary>A backing entry whose name does not decrypt, or a long name without a good sidecar (the mount hides it).</summary>
    Name,
    /// <summary>A directory's cs.dirid is missing or damaged: no name inside it decrypts.</summary>
    DirectoryId,
    /// <summary>A symlink target (or its sidecar) does not decrypt.</summary>
    LinkTarget,
    /// <summary>An xattr name that does not decrypt (the mount leaves it out of listxattr).</summary>
    XattrName,
    /// <summary>An xattr value that does not authenticate.</summary>
    XattrValue,
}

/// <summary>
/// One finding of the encryption layer. <see cref="PlainPath"/> is what the layer knows of the plaintext path
/// (the entry's, or its directory's for a name that does not decrypt; null when it cannot know, as for
/// xattrs); <see cref="CipherPath"/> is the backing path, or the backing name when no more is known.
/// </summary>
public sealed record DamageReport(DamageKind Kind, string? PlainPath, string? CipherPath, string Reason);

/// <summary>
/// Receives what the encryption layer finds damaged, as data. The mount needs none (it answers EIO, or leaves the
/// entry out, and logs a line); offline tools (restore, fsck) collect them to report each by path.
/// Called on the thread of the operation that found the damage.
/// </summary>
public interface IDamageObserver
{
    void Found(DamageReport report);
}

/// <summary>The observer of a mount: nothing beyond the log line the layer writes anyway.</summary>
internal sealed class NoDamageObserver : IDamageObserver
{
    public static NoDamageObserver Instance { get; } = new();
    public void Found(DamageReport report) { }
}

/// <summary>Backing paths for reports, from the descriptors the layer holds.</summary>
internal static class BackingPaths
{
    public static string Of(int dirFd, string name) => EncryptedNode.BackingPathOf(dirFd) + "/" + name;
}
