namespace CryptStack.Crypto.Content;

/// <summary>
/// Where every byte of a content file lives: sizes of the header and blocks, and the pure arithmetic
/// between plaintext and ciphertext offsets (docs/format-content.md, "Layout").
/// A backing file is empty (0 bytes, no header) or <c>header || block 0 || block 1 || ...</c>;
/// every block but the last holds <see cref="PlainBlockSize"/> plaintext bytes.
/// </summary>
public static class ContentLayout
{
    public const int HeaderSize = 84;
    public const int PlainBlockSize = 4096;
    public const int NonceSize = 12;
    public const int HolesBeforeSize = 8;
    public const int TagSize = 16;

    /// <summary>Bytes a stored block adds to its plaintext: nonce, holesBefore and tag.</summary>
    public const int BlockOverhead = NonceSize + HolesBeforeSize + TagSize;

    public const int CipherBlockSize = PlainBlockSize + BlockOverhead;

    /// <summary>Offset of the ciphertext within a stored block.</summary>
    public const int CiphertextOffsetInBlock = NonceSize + HolesBeforeSize;

    /// <summary>The largest plaintext size whose backing size fits in a signed 64-bit offset (about 8 EiB); the mount reports EFBIG past it.</summary>
    public const long MaxPlainSize = (long.MaxValue - HeaderSize) / CipherBlockSize * PlainBlockSize;

    /// <summary>
    /// The plaintext size of a backing file of <paramref name="cipherSize"/> bytes. Sizes that no
    /// writer produces (1..83 bytes, or a last block of 1..36 bytes) map to the plaintext that
    /// precedes the damage; opening or reading the damaged part reports it.
    /// </summary>
    public static long PlainSizeFromCipherSize(long cipherSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cipherSize);
        if (cipherSize <= HeaderSize) return 0;
        long payload = cipherSize - HeaderSize;
        long fullBlocks = payload / CipherBlockSize;
        long rest = payload % CipherBlockSize;
        return fullBlocks * PlainBlockSize + Math.Max(rest - BlockOverhead, 0);
    }

    public static long CipherSizeFromPlainSize(long plainSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plainSize);
        if (plainSize == 0) return 0;
        long fullBlocks = plainSize / PlainBlockSize;
        long rest = plainSize % PlainBlockSize;
        return HeaderSize + fullBlocks * CipherBlockSize + (rest == 0 ? 0 : rest + BlockOverhead);
    }

    /// <summary>True for sizes no writer produces: a partial header, or a last block too short to hold a tag.</summary>
    public static bool IsCipherSizeDamaged(long cipherSize) =>
        (cipherSize > 0 && cipherSize < HeaderSize) || LastStoredBlockSize(cipherSize) is > 0 and <= BlockOverhead;

    public static long BlockIndexOf(long plainOffset) => plainOffset / PlainBlockSize;

    public static int OffsetInBlock(long plainOffset) => (int)(plainOffset % PlainBlockSize);

    public static long PlainOffsetOfBlock(long blockIndex) => blockIndex * PlainBlockSize;

    public static long CipherOffsetOfBlock(long blockIndex) => HeaderSize + blockIndex * CipherBlockSize;

    /// <summary>Index of the block whose stored bytes contain <paramref name="cipherOffset"/> (at or after the header).</summary>
    public static long BlockIndexOfCipherOffset(long cipherOffset) => (cipherOffset - HeaderSize) / CipherBlockSize;

    public static long BlockCountOfPlainSize(long plainSize) => (plainSize + PlainBlockSize - 1) / PlainBlockSize;

    /// <summary>Stored blocks in a backing file, counting a damaged short last block.</summary>
    public static long BlockCountOfCipherSize(long cipherSize) =>
        cipherSize <= HeaderSize ? 0 : (cipherSize - HeaderSize + CipherBlockSize - 1) / CipherBlockSize;

    /// <summary>Size of the last stored block (1..4132), or 0 when there is no block.</summary>
    public static int LastStoredBlockSize(long cipherSize)
    {
        if (cipherSize <= HeaderSize) return 0;
        int rest = (int)((cipherSize - HeaderSize) % CipherBlockSize);
        return rest == 0 ? CipherBlockSize : rest;
    }

    /// <summary>Plaintext bytes held by block <paramref name="blockIndex"/> of a file of <paramref name="plainSize"/> bytes.</summary>
    public static int PlainLengthOfBlock(long blockIndex, long plainSize) =>
        (int)Math.Clamp(plainSize - PlainOffsetOfBlock(blockIndex), 0, PlainBlockSize);

    /// <summary>Stored bytes of block <paramref name="blockIndex"/> in a backing file of <paramref name="cipherSize"/> bytes.</summary>
    public static int StoredLengthOfBlock(long blockIndex, long cipherSize) =>
        (int)Math.Clamp(cipherSize - CipherOffsetOfBlock(blockIndex), 0, CipherBlockSize);
}
