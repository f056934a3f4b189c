using System.Security.Cryptography;

namespace CryptStack.Crypto.Primitives;

/// <summary>
/// AES-SIV (RFC 5297): deterministic authenticated encryption. Output is the 16-byte synthetic IV
/// followed by the ciphertext, which is as long as the plaintext. The key is K1 (CMAC) || K2 (CTR);
/// 32 bytes gives AES-128 (the RFC's vectors), 64 bytes gives AES-256 (what CryptStack uses).
/// </summary>
/// <remarks>
/// .NET has no SIV mode, so S2V's CMAC (NIST SP 800-38B) and the CTR keystream are built here on .NET's AES in
/// ECB mode (AES-NI). Not on BouncyCastle's CMac: it keeps K1's expanded key schedule and the CMAC subkeys in
/// arrays it never zeroes. Here the CMAC subkeys live in a <see cref="SecretKey"/> and both AES instances are
/// disposed (which zeroes .NET's copy of the key and frees OpenSSL's context with its key schedule cleansed).
/// Instances are thread-safe: the mount calls the name codec from many FUSE threads; name operations are
/// short, so a lock is enough.
/// </remarks>
public sealed class AesSiv : IDisposable
{
    public const int SivSize = 16;

    /// <summary>RFC 5297 section 7: S2V takes at most 126 associated-data components.</summary>
    public const int MaxAssociatedDataComponents = 126;

    private const int BlockSize = 16;
    private readonly Aes _macAes;
    // K1' || K2' of CMAC (SP 800-38B 6.1): dbl(AES(K1, 0)) and dbl of that.
    private readonly SecretKey _macSubkeys = new(2 * BlockSize);
    private readonly Aes _ctrAes;
    private readonly Lock _lock = new();
    private bool _disposed;

    public AesSiv(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (32 or 48 or 64))
            throw new ArgumentException($"AES-SIV key must be 32, 48 or 64 bytes, not {key.Length}", nameof(key));
        int half = key.Length / 2;
        _macAes = Aes.Create();
        _macAes.SetKey(key[..half]);
        _ctrAes = Aes.Create();
        _ctrAes.SetKey(key[half..]);
        Span<byte> subkeys = _macSubkeys.WritableSpan;
        Span<byte> zero = stackalloc byte[BlockSize];
        zero.Clear();
        _macAes.EncryptEcb(zero, subkeys[..BlockSize], PaddingMode.None);
        Dbl(subkeys[..BlockSize]);
        subkeys[..BlockSize].CopyTo(subkeys[BlockSize..]);
        Dbl(subkeys[BlockSize..]);
    }

    public AesSiv(SecretKey key) : this(key.Span)
    {
    }

    /// <summary>Encrypts <paramref name="plaintext"/>; returns SIV || ciphertext.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, params ReadOnlySpan<byte[]> associatedData)
    {
        var output = new byte[SivSize + plaintext.Length];
        EncryptInto(plaintext, output, associatedData);
        return output;
    }

    /// <summary>Writes SIV || ciphertext to <paramref name="output"/> (exactly 16 + plaintext length bytes).</summary>
    public void EncryptInto(ReadOnlySpan<byte> plaintext, Span<byte> output, params ReadOnlySpan<byte[]> associatedData)
    {
        if (output.Length != SivSize + plaintext.Length)
            throw new ArgumentException("output must be exactly 16 bytes longer than the plaintext", nameof(output));
        CheckComponentCount(associatedData.Length);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Span<byte> siv = output[..SivSize];
            S2V(associatedData, plaintext, siv);
            Ctr(siv, plaintext, output[SivSize..]);
        }
    }

    /// <summary>
    /// Decrypts SIV || ciphertext. Throws <see cref="AuthenticationTagMismatchException"/> if the input
    /// was not produced under this key and associated data.
    /// </summary>
    public byte[] Decrypt(ReadOnlySpan<byte> sivAndCiphertext, params ReadOnlySpan<byte[]> associatedData)
    {
        if (sivAndCiphertext.Length < SivSize)
            throw new AuthenticationTagMismatchException("AES-SIV input is shorter than the 16-byte SIV");
        CheckComponentCount(associatedData.Length);
        var plaintext = new byte[sivAndCiphertext.Length - SivSize];
        Span<byte> expected = stackalloc byte[SivSize];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReadOnlySpan<byte> siv = sivAndCiphertext[..SivSize];
            Ctr(siv, sivAndCiphertext[SivSize..], plaintext);
            S2V(associatedData, plaintext, expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, siv))
            {
                CryptographicOperations.ZeroMemory(plaintext);
                throw new AuthenticationTagMismatchException("AES-SIV authentication failed");
            }
        }
        return plaintext;
    }

    private static void CheckComponentCount(int count)
    {
        if (count > MaxAssociatedDataComponents)
            throw new ArgumentException($"AES-SIV takes at most {MaxAssociatedDataComponents} associated-data components");
    }

    // RFC 5297 section 2.4.
    private void S2V(ReadOnlySpan<byte[]> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> v)
    {
        Span<byte> d = stackalloc byte[BlockSize];
        Span<byte> t = stackalloc byte[BlockSize];
        d.Clear();
        Mac(d, d);
        foreach (byte[] ad in associatedData)
        {
            Dbl(d);
            Mac(ad, t);
            Xor(d, t);
        }
        if (plaintext.Length >= BlockSize)
        {
            // T = Sn xorend D: only the last 16 bytes are changed, so feed the CMAC in two parts.
            int head = plaintext.Length - BlockSize;
            plaintext[head..].CopyTo(t);
            Xor(t, d);
            Cmac(plaintext[..head], t, v);
        }
        else
        {
            Dbl(d);
            t.Clear();
            plaintext.CopyTo(t);
            t[plaintext.Length] = 0x80;
            Xor(t, d);
            Mac(t, v);
        }
    }

    private void Mac(ReadOnlySpan<byte> input, Span<byte> output) => Cmac(input, default, output);

    /// <summary>CMAC (NIST SP 800-38B) under K1 of the message <paramref name="a"/> || <paramref name="b"/>.</summary>
    private void Cmac(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> mac)
    {
        int n = a.Length + b.Length;
        Span<byte> x = stackalloc byte[BlockSize];
        Span<byte> block = stackalloc byte[BlockSize];
        x.Clear();
        // Every block but the last is chained as is; the last (possibly empty or partial) gets a subkey.
        int full = n == 0 ? 0 : (n - 1) / BlockSize;
        for (int i = 0; i < full; i++)
        {
            Gather(a, b, i * BlockSize, block);
            Xor(x, block);
            _macAes.EncryptEcb(x, block, PaddingMode.None);
            block.CopyTo(x);
        }
        int lastLength = n - full * BlockSize;
        block.Clear();
        Gather(a, b, full * BlockSize, block[..lastLength]);
        if (lastLength == BlockSize) Xor(block, _macSubkeys.Span[..BlockSize]);
        else
        {
            block[lastLength] = 0x80;
            Xor(block, _macSubkeys.Span[BlockSize..]);
        }
        Xor(x, block);
        _macAes.EncryptEcb(x, mac, PaddingMode.None);
        CryptographicOperations.ZeroMemory(x);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>Bytes [offset, offset + target.Length) of a || b.</summary>
    private static void Gather(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int offset, Span<byte> target)
    {
        for (int i = 0; i < target.Length; i++)
        {
            int at = offset + i;
            target[i] = at < a.Length ? a[at] : b[at - a.Length];
        }
    }

    // RFC 5297 section 2.5: counter = V with bits 63 and 31 (from the right) cleared, 128-bit big-endian increment.
    private void Ctr(ReadOnlySpan<byte> siv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length == 0) return;
        int blocks = (input.Length + BlockSize - 1) / BlockSize;
        byte[] stream = new byte[blocks * BlockSize];
        Span<byte> counter = stackalloc byte[BlockSize];
        siv.CopyTo(counter);
        counter[8] &= 0x7f;
        counter[12] &= 0x7f;
        for (int i = 0; i < blocks; i++)
        {
            counter.CopyTo(stream.AsSpan(i * BlockSize));
            Increment(counter);
        }
        _ctrAes.EncryptEcb(stream, stream, PaddingMode.None);
        for (int i = 0; i < input.Length; i++) output[i] = (byte)(input[i] ^ stream[i]);
        CryptographicOperations.ZeroMemory(stream);
    }

    private static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0) return;
        }
    }

    // Doubling in GF(2^128) with the CMAC polynomial (RFC 5297 section 2.3).
    private static void Dbl(Span<byte> block)
    {
        int carry = block[0] >> 7;
        for (int i = 0; i < BlockSize - 1; i++) block[i] = (byte)((block[i] << 1) | (block[i + 1] >> 7));
        block[BlockSize - 1] = (byte)((block[BlockSize - 1] << 1) ^ (carry * 0x87));
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (int i = 0; i < target.Length; i++) target[i] ^= other[i];
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _macAes.Dispose();
            _ctrAes.Dispose();
            _macSubkeys.Dispose();
        }
    }
}
