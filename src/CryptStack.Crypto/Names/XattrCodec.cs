using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Names;

/// <summary>
/// Extended attributes in the user namespace. Name "user.X" is stored as
/// "user.cs." + base64url(AES-SIV(xattrNamesKey, AD = ["xattr"], X)); the value as
/// nonce || AES-256-GCM(xattrValuesKey, nonce, value, AAD = ASCII(stored name)) || tag.
/// Other namespaces (security., trusted., system.) are not encrypted and not passed through.
/// </summary>
public sealed class XattrCodec : IDisposable
{
    public const string UserPrefix = "user.";
    public const string EncryptedPrefix = "user.cs.";

    /// <summary>Linux XATTR_NAME_MAX.</summary>
    public const int MaxBackingNameLength = 255;

    /// <summary>Longest X in "user.X" whose encrypted name fits in 255 bytes: 8 + ceil(4(16 + 169)/3) = 255.</summary>
    public const int MaxPlainSuffixBytes = 169;

    /// <summary>Linux XATTR_SIZE_MAX minus the nonce and tag.</summary>
    public const int MaxPlainValueBytes = 65536 - AesGcmEnvelope.Overhead;

    private static readonly byte[] NameAssociatedData = "xattr"u8.ToArray();

    private readonly AesSiv _nameSiv;
    private readonly SecretKey _valueKey;

    public XattrCodec(SecretKey xattrNamesKey, SecretKey xattrValuesKey)
    {
        if (xattrNamesKey.Length != KeyLabels.XattrNamesSize) throw new ArgumentException($"xattr names key must be {KeyLabels.XattrNamesSize} bytes", nameof(xattrNamesKey));
        if (xattrValuesKey.Length != KeyLabels.XattrValuesSize) throw new ArgumentException($"xattr values key must be {KeyLabels.XattrValuesSize} bytes", nameof(xattrValuesKey));
        _nameSiv = new AesSiv(xattrNamesKey);
        _valueKey = new SecretKey(xattrValuesKey.Span);
    }

    public static XattrCodec FromKeys(KeyHierarchy keys)
    {
        using SecretKey names = keys.DeriveXattrNamesKey();
        using SecretKey values = keys.DeriveXattrValuesKey();
        return new XattrCodec(names, values);
    }

    /// <summary>True for backing xattrs that CryptStack wrote; listxattr shows only these.</summary>
    public static bool IsEncryptedName(ReadOnlySpan<char> backingName) =>
        backingName.StartsWith(EncryptedPrefix, StringComparison.Ordinal);

    /// <summary>Encrypts "user.X" (raw bytes as the kernel passes them) to the backing xattr name.</summary>
    public string EncryptName(ReadOnlySpan<byte> plainName)
    {
        if (!plainName.StartsWith("user."u8))
            throw new UnsupportedXattrNameException("only user.* extended attributes are supported");
        ReadOnlySpan<byte> suffix = plainName[UserPrefix.Length..];
        if (suffix.Length > MaxPlainSuffixBytes)
            throw new UnsupportedXattrNameException($"xattr name is too long to encrypt (at most {UserPrefix.Length + MaxPlainSuffixBytes} bytes)", tooLong: true);
        if (suffix.Contains((byte)0)) throw new UnsupportedXattrNameException("xattr name contains NUL");
        // "user." alone is not a name (ext4 refuses it with EINVAL); never stored, so never accepted when read either.
        if (suffix.IsEmpty) throw new UnsupportedXattrNameException("xattr name is empty after \"user.\"");
        return EncryptedPrefix + Base64UrlStrict.Encode(_nameSiv.Encrypt(suffix, NameAssociatedData));
    }

    public string EncryptName(string plainName) => EncryptName(Encoding.UTF8.GetBytes(plainName));

    /// <summary>Decrypts a backing name "user.cs.…" to "user.X"; throws <see cref="XattrDecryptionException"/>.</summary>
    public byte[] DecryptName(ReadOnlySpan<char> backingName)
    {
        if (!IsEncryptedName(backingName)) throw new XattrDecryptionException("xattr was not written by CryptStack");
        byte[] raw = Base64UrlStrict.TryDecode(backingName[EncryptedPrefix.Length..])
            ?? throw new XattrDecryptionException("encrypted xattr name is not canonical base64url");
        if (raw.Length < AesSiv.SivSize) throw new XattrDecryptionException("encrypted xattr name is too short");
        byte[] suffix;
        try
        {
            suffix = _nameSiv.Decrypt(raw, NameAssociatedData);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new XattrDecryptionException("xattr name does not authenticate (modified or from another volume)", e);
        }
        if (suffix.Length == 0) throw new XattrDecryptionException("xattr name is empty after \"user.\", which no writer stores");
        var plain = new byte[UserPrefix.Length + suffix.Length];
        Encoding.ASCII.GetBytes(UserPrefix, plain);
        suffix.CopyTo(plain, UserPrefix.Length);
        return plain;
    }

    /// <summary>Encrypts a value; <paramref name="backingName"/> is the encrypted name it is stored under.</summary>
    public byte[] EncryptValue(ReadOnlySpan<byte> value, string backingName)
    {
        Span<byte> nonce = stackalloc byte[AesGcmEnvelope.NonceSize];
        RandomNumberGenerator.Fill(nonce);
        return EncryptValue(value, backingName, nonce);
    }

    internal byte[] EncryptValue(ReadOnlySpan<byte> value, string backingName, ReadOnlySpan<byte> nonce)
    {
        if (value.Length > MaxPlainValueBytes) throw new ArgumentException($"xattr value is longer than {MaxPlainValueBytes} bytes", nameof(value));
        return AesGcmEnvelope.Seal(_valueKey.Span, nonce, value, Encoding.ASCII.GetBytes(backingName));
    }

    /// <summary>
    /// Decrypts a stored value. Binding to the name means a value copied to another xattr name fails here.
    /// Throws <see cref="XattrDecryptionException"/>.
    /// </summary>
    public byte[] DecryptValue(ReadOnlySpan<byte> stored, string backingName)
    {
        try
        {
            return AesGcmEnvelope.Open(_valueKey.Span, stored, Encoding.ASCII.GetBytes(backingName));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new XattrDecryptionException($"value of xattr {backingName} does not authenticate (modified, or moved from another name)", e);
        }
    }

    public void Dispose()
    {
        _nameSiv.Dispose();
        _valueKey.Dispose();
    }
}
