using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Names;

/// <summary>
/// Symlink targets: base64url-no-padding(nonce || AES-256-GCM(linkKey, nonce, target, AAD "cryptstack v1 link") || tag).
/// A 4095-byte target encodes to 5498 characters, over Linux's 4095-byte symlink limit, so encodings
/// longer than <see cref="MaxDirectTargetLength"/> are stored in a sidecar file and the backing symlink
/// points at "cs.lnk." + base64url(SHA-256(encoded)). The mount layer does the file I/O.
/// </summary>
public sealed class LinkTargetCodec : IDisposable
{
    /// <summary>PATH_MAX - 1: the longest target the kernel passes to symlink(2).</summary>
    public const int MaxPlainTargetBytes = 4095;

    /// <summary>Longest symlink target the backing filesystem stores (PATH_MAX - 1).</summary>
    public const int MaxDirectTargetLength = 4095;

    /// <summary>The largest link-target sidecar a writer produces: nonce, the longest target and tag, base64url.</summary>
    public const int MaxSidecarBytes = ((12 + MaxPlainTargetBytes + 16) * 4 + 2) / 3;

    public const string IndirectTargetPrefix = "cs.lnk.";

    public static ReadOnlySpan<byte> AssociatedData => "cryptstack v1 link"u8;

    private readonly SecretKey _key;

    public LinkTargetCodec(SecretKey linkTargetsKey)
    {
        if (linkTargetsKey.Length != KeyLabels.LinkTargetsSize) throw new ArgumentException($"link targets key must be {KeyLabels.LinkTargetsSize} bytes", nameof(linkTargetsKey));
        _key = new SecretKey(linkTargetsKey.Span);
    }

    public static LinkTargetCodec FromKeys(KeyHierarchy keys)
    {
        using SecretKey key = keys.DeriveLinkTargetsKey();
        return new LinkTargetCodec(key);
    }

    /// <summary>Encrypts a target (1..4095 bytes, no NUL) to its encoded form.</summary>
    public string Encrypt(ReadOnlySpan<byte> target)
    {
        Span<byte> nonce = stackalloc byte[AesGcmEnvelope.NonceSize];
        RandomNumberGenerator.Fill(nonce);
        return Encrypt(target, nonce);
    }

    internal string Encrypt(ReadOnlySpan<byte> target, ReadOnlySpan<byte> nonce)
    {
        if (target.IsEmpty) throw new ArgumentException("symlink target is empty", nameof(target));
        if (target.Length > MaxPlainTargetBytes) throw new ArgumentException($"symlink target is {target.Length} bytes, longer than {MaxPlainTargetBytes}", nameof(target));
        if (target.Contains((byte)0)) throw new ArgumentException("symlink target contains NUL", nameof(target));
        return Base64UrlStrict.Encode(AesGcmEnvelope.Seal(_key.Span, nonce, target, AssociatedData));
    }

    /// <summary>Decrypts an encoded target; throws <see cref="LinkTargetDecryptionException"/> if malformed or modified.</summary>
    public byte[] Decrypt(ReadOnlySpan<char> encoded)
    {
        byte[] raw = Base64UrlStrict.TryDecode(encoded)
            ?? throw new LinkTargetDecryptionException("symlink target is not an encrypted target (not canonical base64url)");
        if (raw.Length <= AesGcmEnvelope.Overhead || raw.Length > AesGcmEnvelope.Overhead + MaxPlainTargetBytes)
            throw new LinkTargetDecryptionException($"symlink target decodes to {raw.Length} bytes, not an encrypted target");
        try
        {
            return AesGcmEnvelope.Open(_key.Span, raw, AssociatedData);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new LinkTargetDecryptionException("symlink target does not authenticate (modified or from another volume)", e);
        }
    }

    /// <summary>True when the encoded target must go to a sidecar file.</summary>
    public static bool NeedsSidecar(string encoded) => encoded.Length > MaxDirectTargetLength;

    /// <summary>What the backing symlink points at: the encoded target itself, or "cs.lnk." + hash.</summary>
    public static string BackingTargetFor(string encoded) =>
        NeedsSidecar(encoded) ? IndirectTargetPrefix + BackingNames.HashOf(encoded) : encoded;

    public static bool IsIndirectTarget(ReadOnlySpan<char> backingTarget) =>
        backingTarget.StartsWith(IndirectTargetPrefix, StringComparison.Ordinal);

    /// <summary>Sidecar file next to the symlink, named from the symlink's backing name.</summary>
    public static string SidecarNameFor(string backingSymlinkName) => backingSymlinkName + BackingNames.LinkSidecarSuffix;

    public static byte[] SidecarContentFor(string encoded) => Encoding.ASCII.GetBytes(encoded);

    /// <summary>Reads a link sidecar and checks that its hash matches the backing symlink's target.</summary>
    public static string EncodedFromSidecar(ReadOnlySpan<char> backingTarget, ReadOnlySpan<byte> sidecarContent)
    {
        if (!IsIndirectTarget(backingTarget)) throw new LinkTargetDecryptionException("symlink does not point at a sidecar");
        if (sidecarContent.Length <= MaxDirectTargetLength || sidecarContent.Length > 8192)
            throw new LinkTargetDecryptionException($"symlink sidecar is {sidecarContent.Length} bytes, not a valid encoded target");
        foreach (byte b in sidecarContent)
        {
            if (b >= 0x80 || !Base64UrlStrict.IsAlphabetChar((char)b))
                throw new LinkTargetDecryptionException("symlink sidecar contains a byte outside base64url");
        }
        string encoded = Encoding.ASCII.GetString(sidecarContent);
        if (!BackingNames.HashOf(encoded).AsSpan().SequenceEqual(backingTarget[IndirectTargetPrefix.Length..]))
            throw new LinkTargetDecryptionException("symlink sidecar does not match the symlink (hash differs)");
        return encoded;
    }

    public void Dispose() => _key.Dispose();
}
