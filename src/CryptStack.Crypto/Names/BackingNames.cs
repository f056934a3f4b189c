using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Names;

/// <summary>What a name found in a backing directory is.</summary>
public enum BackingNameKind
{
    /// <summary>An encrypted name stored directly (base64url, at most 175 characters).</summary>
    EncodedName,

    /// <summary>cs.lng.&lt;hash&gt;: the encrypted name is in the sidecar file &lt;name&gt;.name.</summary>
    LongName,

    /// <summary>A CryptStack bookkeeping file (cs.dirid, sidecars, the config at the root); never shown.</summary>
    Reserved,

    /// <summary>Something CryptStack did not write (e.g. a sync tool's conflict copy); hidden and logged.</summary>
    Foreign,
}

/// <summary>
/// Pure functions naming the entries of a backing directory. Encoded names use only [A-Za-z0-9_-],
/// so every name beginning "cs." belongs to CryptStack and cannot collide with an encrypted name.
/// </summary>
public static class BackingNames
{
    public const string DirIdFileName = "cs.dirid";
    /// <summary>Format version 2: a directory's id sealed for the place a rename is moving it to (docs/format.md 5.1).</summary>
    public const string PendingDirIdFileName = "cs.dirid.pending";
    public const string ConfigFileName = "cryptstack.conf";
    public const string ConfigBackupFileName = "cryptstack.conf.bak";
    public const string ReservedPrefix = "cs.";
    public const string LongNamePrefix = "cs.lng.";
    public const string LongNameSidecarSuffix = ".name";
    public const string LinkSidecarSuffix = ".lnk";

    /// <summary>
    /// Encoded names longer than this are stored as long names. 175 leaves room under the common 255-byte
    /// NAME_MAX for the ".lnk" sidecar suffix and for the suffixes sync tools append to conflict copies,
    /// and it fits filesystems that are themselves stacked with a shorter limit (eCryptfs allows 143).
    /// </summary>
    public const int MaxShortNameLength = 175;

    /// <summary>base64url of a SHA-256 digest.</summary>
    public const int HashLength = 43;

    public const int LongNameLength = 7 + HashLength;

    /// <summary>The largest long-name sidecar a writer produces: the encoded form of a 255-byte name (16-byte SIV + 255, base64url).</summary>
    public const int MaxSidecarBytes = ((16 + 255) * 4 + 2) / 3;

    /// <summary>The name stored in the backing directory for <paramref name="encodedName"/>.</summary>
    public static string BackingNameFor(string encodedName) =>
        encodedName.Length > MaxShortNameLength ? LongNameFor(encodedName) : encodedName;

    /// <summary>"cs.lng." + base64url(SHA-256(ASCII(encodedName))).</summary>
    public static string LongNameFor(string encodedName) => LongNamePrefix + HashOf(encodedName);

    /// <summary>The sidecar regular file that holds the full encoded name of a long name.</summary>
    public static string SidecarNameFor(string longName) => longName + LongNameSidecarSuffix;

    public static bool IsLongName(ReadOnlySpan<char> backingName) =>
        backingName.Length == LongNameLength
        && backingName.StartsWith(LongNamePrefix, StringComparison.Ordinal)
        && IsBase64Url(backingName[LongNamePrefix.Length..]);

    /// <summary>True for a name that can be the encoded (encrypted) form of a plaintext name stored directly.</summary>
    public static bool IsEncodedName(ReadOnlySpan<char> backingName) =>
        backingName.Length is > 0 and <= MaxShortNameLength && IsBase64Url(backingName);

    /// <summary>
    /// True for CryptStack's own files: cs.dirid and anything else beginning "cs." except long names,
    /// long-name sidecars (*.name), symlink sidecars (*.lnk), and at the root every name beginning
    /// "cryptstack.conf" (the config, its .bak, and temporary files of an atomic rewrite).
    /// </summary>
    public static bool IsReservedBackingName(ReadOnlySpan<char> backingName, bool isRootDirectory)
    {
        if (backingName.StartsWith(ReservedPrefix, StringComparison.Ordinal)) return !IsLongName(backingName);
        if (backingName.EndsWith(LinkSidecarSuffix, StringComparison.Ordinal)
            && IsEncodedName(backingName[..^LinkSidecarSuffix.Length])) return true;
        // At the root: cryptstack.conf, its .bak and the temporary files of an atomic rewrite.
        return isRootDirectory && backingName.StartsWith(ConfigFileName, StringComparison.Ordinal);
    }

    public static BackingNameKind Classify(ReadOnlySpan<char> backingName, bool isRootDirectory)
    {
        if (IsReservedBackingName(backingName, isRootDirectory)) return BackingNameKind.Reserved;
        if (IsLongName(backingName)) return BackingNameKind.LongName;
        if (IsEncodedName(backingName)) return BackingNameKind.EncodedName;
        return BackingNameKind.Foreign;
    }

    /// <summary>The bytes to write into the long-name sidecar: the encoded name in ASCII, no newline.</summary>
    public static byte[] SidecarContentFor(string encodedName) => Encoding.ASCII.GetBytes(encodedName);

    /// <summary>
    /// Reads a long-name sidecar and checks it belongs to <paramref name="longName"/> (the hash must match),
    /// so a sidecar copied next to another long name is rejected.
    /// </summary>
    public static string EncodedNameFromSidecar(string longName, ReadOnlySpan<byte> sidecarContent)
    {
        if (!IsLongName(longName)) throw new NameDecryptionException($"{longName}: not a long name");
        if (sidecarContent.Length <= MaxShortNameLength || sidecarContent.Length > 4096)
            throw new NameDecryptionException($"{SidecarNameFor(longName)}: long-name sidecar is {sidecarContent.Length} bytes, not a valid encoded name");
        foreach (byte b in sidecarContent)
        {
            if (b >= 0x80 || !Base64UrlStrict.IsAlphabetChar((char)b))
                throw new NameDecryptionException($"{SidecarNameFor(longName)}: long-name sidecar contains a byte outside base64url");
        }
        string encoded = Encoding.ASCII.GetString(sidecarContent);
        if (!HashOf(encoded).AsSpan().SequenceEqual(longName.AsSpan(LongNamePrefix.Length)))
            throw new NameDecryptionException($"{SidecarNameFor(longName)}: long-name sidecar does not match its name (hash differs)");
        return encoded;
    }

    internal static string HashOf(string ascii)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(ascii), digest);
        return Base64UrlStrict.Encode(digest);
    }

    private static bool IsBase64Url(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!Base64UrlStrict.IsAlphabetChar(c)) return false;
        }
        return true;
    }
}
