using System.Security.Cryptography;

namespace CryptStack.Crypto.Primitives;

/// <summary>
/// AES-256-GCM with a random 96-bit nonce, serialised as nonce (12) || ciphertext || tag (16).
/// Used for link targets, xattr values and keyslot wrapping: small messages, one key each.
/// </summary>
public static class AesGcmEnvelope
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        RandomNumberGenerator.Fill(nonce);
        return Seal(key, nonce, plaintext, associatedData);
    }

    /// <summary>Fixed-nonce form, for known-answer vectors only: a nonce must never repeat under one key.</summary>
    internal static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (key.Length != KeySize) throw new ArgumentException($"AES-256-GCM key must be {KeySize} bytes", nameof(key));
        if (nonce.Length != NonceSize) throw new ArgumentException($"nonce must be {NonceSize} bytes", nameof(nonce));
        var output = new byte[Overhead + plaintext.Length];
        nonce.CopyTo(output);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associatedData);
        return output;
    }

    /// <summary>
    /// Opens nonce || ciphertext || tag into <paramref name="plaintext"/> (exactly <c>sealed.Length - 28</c> bytes).
    /// Throws <see cref="AuthenticationTagMismatchException"/> on a wrong key, wrong associated data or any change.
    /// </summary>
    public static void Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (key.Length != KeySize) throw new ArgumentException($"AES-256-GCM key must be {KeySize} bytes", nameof(key));
        if (sealedData.Length < Overhead)
            throw new AuthenticationTagMismatchException($"sealed data is {sealedData.Length} bytes, shorter than the {Overhead}-byte nonce and tag");
        int length = sealedData.Length - Overhead;
        if (plaintext.Length != length) throw new ArgumentException("plaintext buffer has the wrong length", nameof(plaintext));
        using var gcm = new AesGcm(key, TagSize);
        gcm.Decrypt(sealedData[..NonceSize], sealedData.Slice(NonceSize, length), sealedData[(NonceSize + length)..], plaintext, associatedData);
    }

    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        if (sealedData.Length < Overhead)
            throw new AuthenticationTagMismatchException($"sealed data is {sealedData.Length} bytes, shorter than the {Overhead}-byte nonce and tag");
        var plaintext = new byte[sealedData.Length - Overhead];
        Open(key, sealedData, associatedData, plaintext);
        return plaintext;
    }
}
