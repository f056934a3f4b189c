using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CryptStack.Crypto.Content;

/// <summary>
/// Seals and opens single stored blocks of one file (docs/format-content.md, "Blocks"):
/// <c>nonce[12] || holesBefore u64 BE || AES-256-GCM ciphertext[1..4096] || tag[16]</c> with associated data
/// <c>fileId[16] || blockIndex u64 BE || holesBefore u64 BE || final[1]</c>.
/// Holds one <see cref="AesGcm"/> for the file key, which is not thread-safe: callers serialise.
/// </summary>
public sealed class ContentBlockCipher : IDisposable
{
    private const int AssociatedDataSize = ContentHeader.FileIdSize + 8 + 8 + 1;

    /// <summary>
    /// Nonces drawn from the system CSPRNG this many at a time: one RandomNumberGenerator.Fill costs about 1 us,
    /// as much as sealing the 4 KiB block itself (measured: bench/CryptStack.Bench, docs/performance.md).
    /// </summary>
    private const int NoncesPerRefill = 64;

    private readonly AesGcm _aes;
    private readonly byte[] _fileId;
    private readonly byte[] _nonces = new byte[NoncesPerRefill * ContentLayout.NonceSize];
    private int _noncesUsed = NoncesPerRefill;

    public ContentBlockCipher(SecretKey fileKey, ReadOnlySpan<byte> fileId)
    {
        if (fileKey.Length != ContentHeader.FileKeySize)
            throw new ArgumentException($"file key must be {ContentHeader.FileKeySize} bytes", nameof(fileKey));
        if (fileId.Length != ContentHeader.FileIdSize)
            throw new ArgumentException($"file id must be {ContentHeader.FileIdSize} bytes", nameof(fileId));
        _aes = new AesGcm(fileKey.Span, ContentLayout.TagSize);
        _fileId = fileId.ToArray();
    }

    public ReadOnlySpan<byte> FileId => _fileId;

    /// <summary>True when a stored block is all zero bytes: a hole, if the next data block's holesBefore covers it.</summary>
    public static bool IsAllZero(ReadOnlySpan<byte> stored) =>
        // The random nonce makes a sealed block's first bytes non-zero with overwhelming probability: test them first.
        stored[..Math.Min(stored.Length, ContentLayout.NonceSize)].IndexOfAnyExcept((byte)0) < 0
        && stored.IndexOfAnyExcept((byte)0) < 0;

    /// <summary>Seals <paramref name="plain"/> (1..4096 bytes) into <paramref name="stored"/> (plain.Length + 36 bytes) with a fresh random nonce.</summary>
    public void Seal(long blockIndex, long holesBefore, bool isFinal, ReadOnlySpan<byte> plain, Span<byte> stored)
    {
        if (_noncesUsed == NoncesPerRefill)
        {
            RandomNumberGenerator.Fill(_nonces);
            _noncesUsed = 0;
        }
        Span<byte> nonce = _nonces.AsSpan(_noncesUsed++ * ContentLayout.NonceSize, ContentLayout.NonceSize);
        Seal(blockIndex, holesBefore, isFinal, nonce, plain, stored);
    }

    /// <summary>The deterministic form, for known-answer tests. A nonce must never be reused under one file key.</summary>
    internal void Seal(long blockIndex, long holesBefore, bool isFinal, ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> plain, Span<byte> stored)
    {
        if (plain.Length is 0 or > ContentLayout.PlainBlockSize)
            throw new ArgumentOutOfRangeException(nameof(plain), plain.Length, "a block holds 1..4096 bytes");
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(holesBefore);
        stored = stored[..(plain.Length + ContentLayout.BlockOverhead)];

        nonce.CopyTo(stored);
        BinaryPrimitives.WriteInt64BigEndian(stored[ContentLayout.NonceSize..], holesBefore);
        Span<byte> ad = stackalloc byte[AssociatedDataSize];
        WriteAssociatedData(ad, blockIndex, holesBefore, isFinal);
        _aes.Encrypt(stored[..ContentLayout.NonceSize],
            plain,
            stored.Slice(ContentLayout.CiphertextOffsetInBlock, plain.Length),
            stored[^ContentLayout.TagSize..],
            ad);
    }

    /// <summary>
    /// Opens a stored block into <paramref name="plain"/> (at least stored.Length - 36 bytes) and returns its
    /// authenticated holesBefore. <paramref name="isFinal"/> is whether the block is the last of the backing file.
    /// </summary>
    /// <exception cref="ContentIntegrityException">The block does not authenticate at this index and position.</exception>
    public long Open(long blockIndex, bool isFinal, ReadOnlySpan<byte> stored, Span<byte> plain)
    {
        int plainLength = stored.Length - ContentLayout.BlockOverhead;
        if (plainLength <= 0)
            throw new ContentIntegrityException(
                $"block {blockIndex} is {stored.Length} bytes, too short to be a sealed block (file cut off)", blockIndex);
        if (plainLength > ContentLayout.PlainBlockSize) throw new ArgumentException("stored block too long", nameof(stored));

        long holesBefore = BinaryPrimitives.ReadInt64BigEndian(stored[ContentLayout.NonceSize..]);
        Span<byte> ad = stackalloc byte[AssociatedDataSize];
        WriteAssociatedData(ad, blockIndex, holesBefore, isFinal);
        try
        {
            _aes.Decrypt(stored[..ContentLayout.NonceSize],
                stored.Slice(ContentLayout.CiphertextOffsetInBlock, plainLength),
                stored[^ContentLayout.TagSize..],
                plain[..plainLength],
                ad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            string where = isFinal ? "as the last block" : "as a non-last block";
            throw new ContentIntegrityException(
                $"block {blockIndex} does not authenticate {where}: it was modified, moved from another position or file, " +
                "or the file was cut off or extended", blockIndex, e);
        }
        // Authenticated, so only a writer with the key could have put a negative count here; still refuse it.
        if (holesBefore < 0 || holesBefore > blockIndex)
            throw new ContentIntegrityException($"block {blockIndex} claims {holesBefore} holes before it", blockIndex);
        return holesBefore;
    }

    private void WriteAssociatedData(Span<byte> ad, long blockIndex, long holesBefore, bool isFinal)
    {
        _fileId.CopyTo(ad);
        BinaryPrimitives.WriteInt64BigEndian(ad[16..], blockIndex);
        BinaryPrimitives.WriteInt64BigEndian(ad[24..], holesBefore);
        ad[32] = isFinal ? (byte)1 : (byte)0;
    }

    public void Dispose() => _aes.Dispose();
}
