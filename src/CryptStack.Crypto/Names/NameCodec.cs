using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Names;

/// <summary>
/// File and directory names: encoded = base64url-no-padding(AES-SIV(namesKey, AD = [dirId], name)),
/// SIV first. Deterministic, so lookups need no directory scan; authenticated, so a renamed or moved
/// backing entry fails to decrypt. Use <see cref="BackingNames.BackingNameFor"/> for the on-disk name.
/// </summary>
public sealed class NameCodec : IDisposable
{
    /// <summary>Linux NAME_MAX.</summary>
    public const int MaxPlainNameBytes = 255;

    private readonly AesSiv _siv;

    public NameCodec(SecretKey namesKey)
    {
        if (namesKey.Length != KeyLabels.NamesSize) throw new ArgumentException($"names key must be {KeyLabels.NamesSize} bytes", nameof(namesKey));
        _siv = new AesSiv(namesKey);
    }

    public static NameCodec FromKeys(KeyHierarchy keys)
    {
        using SecretKey key = keys.DeriveNamesKey();
        return new NameCodec(key);
    }

    /// <summary>Throws <see cref="InvalidPlaintextNameException"/> for names a directory cannot hold.</summary>
    public static void ValidatePlainName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty) throw new InvalidPlaintextNameException(InvalidNameReason.Empty, "name is empty");
        if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
            throw new InvalidPlaintextNameException(InvalidNameReason.DotOrDotDot, "'.' and '..' are not names");
        if (name.Contains((byte)'/')) throw new InvalidPlaintextNameException(InvalidNameReason.ContainsSlash, "name contains '/'");
        if (name.Contains((byte)0)) throw new InvalidPlaintextNameException(InvalidNameReason.ContainsNul, "name contains NUL");
        if (name.Length > MaxPlainNameBytes)
            throw new InvalidPlaintextNameException(InvalidNameReason.TooLong, $"name is {name.Length} bytes, longer than {MaxPlainNameBytes}");
    }

    /// <summary>The encoded (encrypted) name; may be longer than <see cref="BackingNames.MaxShortNameLength"/>.</summary>
    public string Encrypt(ReadOnlySpan<byte> plainName, ReadOnlySpan<byte> dirId)
    {
        ValidatePlainName(plainName);
        CheckDirId(dirId);
        return Base64UrlStrict.Encode(_siv.Encrypt(plainName, dirId.ToArray()));
    }

    public string Encrypt(string plainName, ReadOnlySpan<byte> dirId) => Encrypt(Encoding.UTF8.GetBytes(plainName), dirId);

    /// <summary>
    /// Decrypts an encoded name (for a long name, read it from the sidecar first with
    /// <see cref="BackingNames.EncodedNameFromSidecar"/>). Throws <see cref="NameDecryptionException"/> if it is
    /// malformed, was encrypted in another directory or volume, or was modified.
    /// </summary>
    public byte[] Decrypt(ReadOnlySpan<char> encodedName, ReadOnlySpan<byte> dirId)
    {
        CheckDirId(dirId);
        byte[] raw = Base64UrlStrict.TryDecode(encodedName)
            ?? throw new NameDecryptionException($"{Shorten(encodedName)}: not an encrypted name (not canonical base64url)");
        if (raw.Length <= AesSiv.SivSize || raw.Length > AesSiv.SivSize + MaxPlainNameBytes)
            throw new NameDecryptionException($"{Shorten(encodedName)}: not an encrypted name (decodes to {raw.Length} bytes)");
        byte[] plain;
        try
        {
            plain = _siv.Decrypt(raw, dirId.ToArray());
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new NameDecryptionException($"{Shorten(encodedName)}: name does not authenticate in this directory (modified, moved, or cs.dirid lost)", e);
        }
        try
        {
            ValidatePlainName(plain);
        }
        catch (InvalidPlaintextNameException e)
        {
            // Only a holder of the key could produce this; refuse it rather than hand "../x" to the kernel.
            throw new NameDecryptionException($"{Shorten(encodedName)}: decrypts to an invalid name", e);
        }
        return plain;
    }

    private static void CheckDirId(ReadOnlySpan<byte> dirId)
    {
        if (dirId.Length != DirectoryId.Size) throw new ArgumentException($"directory id must be {DirectoryId.Size} bytes", nameof(dirId));
    }

    private static string Shorten(ReadOnlySpan<char> name) =>
        name.Length <= 64 ? name.ToString() : string.Concat(name[..60], "...");

    public void Dispose() => _siv.Dispose();
}
